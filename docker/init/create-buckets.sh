#!/bin/sh
# minio-init: buckets, versioning/object lock and the pipeline's own S3 user. Idempotent.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${SOHOA_S3_ACCESS_KEY:?}" "${SOHOA_S3_SECRET_KEY:?}"
prefix="${SOHOA_BUCKET_PREFIX:-sohoa-}"

mc alias set store "http://${MINIO_HOST:-minio:9000}" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

for name in raw work reports quarantine; do
  mc mb --ignore-existing "store/${prefix}${name}"
done
# Signed results (Decree 45 Art. 17, archival storage; Art. 14.3.c, no silent edits): object lock
# can only be switched on when the bucket is created, and it implies versioning.
mc mb --ignore-existing --with-lock "store/${prefix}results"
mc version enable "store/${prefix}results"
if [ -n "${SOHOA_RESULTS_RETENTION:-}" ]; then
  # e.g. "GOVERNANCE 3650d": a default retention for every new object version.
  # shellcheck disable=SC2086
  mc retention set --default ${SOHOA_RESULTS_RETENTION} "store/${prefix}results"
fi

# The pipeline never uses the root credentials.
mc admin user add store "$SOHOA_S3_ACCESS_KEY" "$SOHOA_S3_SECRET_KEY"
# (attach fails when the policy is already attached: then check that it is.)
mc admin policy attach store readwrite --user "$SOHOA_S3_ACCESS_KEY" 2>/dev/null \
  || mc admin user info store "$SOHOA_S3_ACCESS_KEY" | grep -q readwrite
mc ls store
