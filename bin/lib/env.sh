# Sourced by the bin/ scripts: finds a JDK of 21 or later and makes sure SoftHSM2 and OpenSSL are present.
# Runs on the operator's or CI's machine; touches nothing but the package manager (as root) and JAVA_HOME.

die() { echo "error: $*" >&2; exit 1; }

java_major() { # prints the major version of the java at $1/bin/java, or nothing
  "$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1
}

find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  die "no JDK of version 21 or later found (looked at \$JAVA_HOME, the java on PATH and /usr/lib/jvm/*); install one, e.g. apt-get install openjdk-21-jdk, or set JAVA_HOME"
}

apt_install() { # apt_install PACKAGE...: installs Debian packages when running as root, else explains
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $* (Debian packages)..." >&2
    if [ -z "${SHOMEI_APT_UPDATED:-}" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
      export SHOMEI_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
  else
    die "missing $*: install them (Debian: sudo apt-get install $*) and run again"
  fi
}

ensure_tools() {
  local missing=()
  [ -f /usr/lib/softhsm/libsofthsm2.so ] && command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
  command -v pkcs11-tool >/dev/null 2>&1 || missing+=(opensc)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  # Optional: pdfsig (with certutil for its trust store) gives the tests an outside check of the PAdES-signed
  # CP/CPS and its chain; skipped where it cannot be installed, except with CI=true, where the test fails.
  if ! command -v pdfsig >/dev/null 2>&1 || ! command -v certutil >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt_install poppler-utils libnss3-tools
    else
      echo "note: pdfsig/certutil (poppler-utils, libnss3-tools) are not installed; the PAdES outside check will be skipped" >&2
    fi
  fi
  # Likewise headless Chromium and its WebDriver (and a Japanese font), for the browser tests of the evidence report
  # and the RA console.
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt_install chromium chromium-driver fonts-ipafont-gothic
    else
      echo "note: chromium/chromium-driver are not installed; the evidence report's browser test will be skipped" >&2
    fi
  fi
}

# The edge's JVM flags for the JDK found (after find_jdk): Netty's faster buffers and I/O go through sun.misc.Unsafe,
# which JDK 24+ warns about on the console at first use unless allowed. The flag that allows it exists from JDK 23 on
# (a JDK 21 or 22 refuses to start with it, and uses Unsafe without a warning anyway).
netty_jvm_args() {
  local major
  major=$(java_major "$JAVA_HOME")
  if [ -n "$major" ] && [ "$major" -ge 23 ]; then
    echo "-Dio.netty.noUnsafe=false --sun-misc-unsafe-memory-access=allow"
  else
    echo "-Dio.netty.noUnsafe=false"
  fi
}

# The JVM flags every launcher needs: SunPKCS11's wrapper finds tokens by label (RFC 7512 URIs).
SHOMEI_JVM_ARGS="--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED --add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED --enable-native-access=ALL-UNNAMED"
