SELECT version FROM soniq_migrations
