export {
  createPrometheusSink,
  prometheusText,
  DEFAULT_DURATION_BUCKETS,
  PROMETHEUS_CONTENT_TYPE,
  type PrometheusSink,
  type PrometheusSinkOptions,
  type PrometheusTextOptions,
  type JobEndStatus,
} from "./prometheus.ts";
