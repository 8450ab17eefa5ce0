#!/usr/bin/env bash
# Installs the Debian packages sohoa needs; does nothing when they are all present.
set -euo pipefail
packages=(
  tesseract-ocr tesseract-ocr-vie   # OCR engine + Vietnamese model
  poppler-utils                     # pdftoppm (rasterise), pdftotext, pdfsig (independent signature check)
  libnss3-tools                     # certutil: trust store for pdfsig
  fonts-noto-core                   # NotoSans renders Vietnamese correctly (marker, sample scans)
  fonts-dejavu-core
  fonts-liberation2                 # Liberation Serif: Times New Roman's metrics, the face of most real decisions (a tuning family)
  docker-compose                    # `docker-compose config -q` checks the production stack file
  softhsm2                          # PKCS#11 token for the HSM signing path (tests)
  postgresql                        # the results DB tests run against SQLite and PostgreSQL
  redis-server                      # the Celery broker of the multi-worker test and bench (CeleryExecutor)
  chromium                          # browser tests of the web pages (Playwright drives /usr/bin/chromium)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
