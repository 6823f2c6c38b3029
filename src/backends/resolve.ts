import { redactUrl } from "../core/redact.ts";
import { ErrorCodes, SoniqError } from "../errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Settings } from "../settings.ts";
import { MemoryBackend } from "./memory/index.ts";
import { isPostgresUrl, PostgresBackend } from "./postgres/index.ts";
import { SqliteBackend } from "./sqlite/index.ts";
import type { StorageBackend } from "./types.ts";

export const DEFAULT_SQLITE_PATH = "./soniq.db";

/**
 * Pick the backend from the URL: postgres:// or postgresql:// -> Postgres; `sqlite:PATH` or a path
 * ending in .db/.sqlite/.sqlite3 -> SQLite; `memory:` -> in-process. No URL -> ./soniq.db.
 */
export function createBackend(url: string | undefined, settings: Settings, logger: Logger): StorageBackend {
  if (url === undefined) {
    logger.info("no database URL given: using the embedded SQLite file ./soniq.db (set SONIQ_DATABASE_URL for Postgres)");
    return new SqliteBackend({ path: DEFAULT_SQLITE_PATH });
  }
  const trimmed = url.trim();
  if (isPostgresUrl(trimmed)) {
    return new PostgresBackend({
      url: trimmed.replace(/^([^?#]*\/[^/?#]+)\/+(?=$|[?#])/, "$1"), // "postgres://h/db/" names the database "db"

      maxConnections: settings.poolMaxSize,
      minConnections: settings.poolMinSize,
      preparedStatements: settings.preparedStatements,
      listen: settings.listen,
      connectTimeout: settings.connectTimeout,
    });
  }
  if (trimmed === "memory:" || trimmed === "memory://") return new MemoryBackend();
  if (trimmed.startsWith("sqlite:")) {
    const path = trimmed.replace(/^sqlite:(\/\/)?/, "");
    if (!path) throw new SoniqError(ErrorCodes.INVALID_DATABASE_URL, "sqlite: URL needs a file path, e.g. sqlite:./soniq.db");
    return new SqliteBackend({ path });
  }
  if (/\.(db|sqlite3?)$/i.test(trimmed)) return new SqliteBackend({ path: trimmed });
  throw new SoniqError(
    ErrorCodes.INVALID_DATABASE_URL,
    `unrecognised database URL "${redactUrl(trimmed)}": use postgres://..., sqlite:PATH, a *.db path, or memory:`,
  );
}
