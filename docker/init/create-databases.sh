#!/bin/bash
# Runs once, on the first start of an empty PostgreSQL volume (/docker-entrypoint-initdb.d).
# POSTGRES_DB (airflow) holds Airflow's metadata; this adds the sohoa results database with its
# own role, so the pipeline's credentials cannot touch Airflow's tables.
set -euo pipefail
: "${SOHOA_DB_PASSWORD:?set SOHOA_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v sohoa_password="$SOHOA_DB_PASSWORD" <<'SQL'
CREATE ROLE sohoa LOGIN PASSWORD :'sohoa_password';
CREATE DATABASE sohoa OWNER sohoa ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE sohoa FROM PUBLIC;
SQL
