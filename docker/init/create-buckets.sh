#!/bin/sh
# minio-init: buckets, versioning/object lock and the pipeline's own S3 user. Idempotent.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${SOHOA_S3_ACCESS_KEY:?}" "${SOHOA_S3_SECRET_KEY:?}"
prefix="${SOHOA_BUCKET_PREFIX:-sohoa-}"

mc alias set store "http://${MINIO_HOST:-minio:9000}" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

# inbox: scanning stations upload each batch (scans + manifest.csv) under a prefix of their own;
# any Celery worker takes it from there (intake/inbox.py), so the stack needs no shared scans disk.
for name in work reports quarantine inbox; do
  mc mb --ignore-existing "store/${prefix}${name}"
done
# Original scans and signed results (Decree 45 Art. 17, archival storage; Art. 14.3.c, no silent
# edits): object lock can only be switched on when the bucket is created, and it implies versioning.
for name in raw results; do
  mc mb --ignore-existing --with-lock "store/${prefix}${name}"
  mc version enable "store/${prefix}${name}"
  if [ -n "${SOHOA_RESULTS_RETENTION:-}" ]; then
    # "COMPLIANCE 3650d" (the default, docker-compose.yml): nobody can shorten it, not even root;
    # "GOVERNANCE 3650d" only where the deployment chooses it.
    # shellcheck disable=SC2086
    mc retention set --default ${SOHOA_RESULTS_RETENTION} "store/${prefix}${name}"
  fi
done

# The pipeline never uses the root credentials, nor MinIO's `readwrite` (s3:*): its own policy reads,
# writes and lists its buckets, deletes only in work and reports, and has no s3:DeleteObjectVersion,
# s3:BypassGovernanceRetention, s3:PutObjectRetention, legal hold, lock, versioning or bucket rights
# (docs/security.md). A locked result version cannot be removed or shortened with its key.
policy=/tmp/sohoa-pipeline-policy.json
cat > "$policy" <<POLICY
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": ["arn:aws:s3:::*"]},
 {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions",
   "s3:GetBucketVersioning", "s3:ListBucketMultipartUploads"], "Resource": ["arn:aws:s3:::${prefix}*"]},
 {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:AbortMultipartUpload",
   "s3:ListMultipartUploadParts"], "Resource": ["arn:aws:s3:::${prefix}*/*"]},
 {"Effect": "Allow", "Action": ["s3:DeleteObject"],
   "Resource": ["arn:aws:s3:::${prefix}work/*", "arn:aws:s3:::${prefix}reports/*"]}
]}
POLICY
mc admin policy create store sohoa-pipeline "$policy"

# A scanning station may only upload into the inbox (and list what it uploaded): attach this policy
# to each station's own user (`mc admin user add` + `mc admin policy attach store sohoa-station --user ...`).
station=/tmp/sohoa-station-policy.json
cat > "$station" <<POLICY
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": ["arn:aws:s3:::${prefix}inbox"]},
 {"Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
   "Resource": ["arn:aws:s3:::${prefix}inbox/*"]}
]}
POLICY
mc admin policy create store sohoa-station "$station"
mc admin user add store "$SOHOA_S3_ACCESS_KEY" "$SOHOA_S3_SECRET_KEY"
mc admin policy detach store readwrite --user "$SOHOA_S3_ACCESS_KEY" 2>/dev/null || true
# (attach fails when the policy is already attached: then check that it is.)
mc admin policy attach store sohoa-pipeline --user "$SOHOA_S3_ACCESS_KEY" 2>/dev/null \
  || mc admin user info store "$SOHOA_S3_ACCESS_KEY" | grep -q sohoa-pipeline
mc ls store
