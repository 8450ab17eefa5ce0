#!/bin/sh
# Runs before PostgreSQL and MinIO start (docker-compose.yml, service check-secrets): the stack refuses
# to start while any secret still holds an example value of docker/.env.example ("change-me…").
# Empty required values are already refused by docker-compose's own ${VAR:?} interpolation.
set -u
bad=""
for name in AIRFLOW_FERNET_KEY AIRFLOW_API_SECRET_KEY AIRFLOW_JWT_SECRET AIRFLOW_ADMIN_PASSWORD \
            POSTGRES_PASSWORD SOHOA_DB_PASSWORD MINIO_ROOT_USER MINIO_ROOT_PASSWORD SOHOA_S3_ACCESS_KEY \
            SOHOA_S3_SECRET_KEY SOHOA_SIGNING_PASSWORD SOHOA_CITIZEN_WAREHOUSE_TOKEN; do
  eval "value=\${$name-}"
  case "$value" in
    *change-me*) bad="$bad $name" ;;
  esac
done
if [ -n "$bad" ]; then
  echo "sohoa: không khởi động: thay giá trị mẫu \"change-me\" trong docker/.env / refusing to start, placeholder secrets:$bad" >&2
  exit 1
fi
echo "sohoa: secrets checked"
