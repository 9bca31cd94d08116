# Sourced by bin/ca, bin/presigner, bin/publisher: runs a module's command-line main class from
# <module>/target/<module>-*.jar and <module>/target/lib/*, building the module on first use.
# Usage: run_module MODULE MAIN_CLASS ARGS...
run_module() {
  local module=$1 main=$2 jar
  shift 2
  find_jdk
  jar=$(ls "$SHOMEI_ROOT/$module"/target/"$module"-*.jar 2>/dev/null | grep -v -- '-tests' | head -n 1 || true)
  if [ -z "$jar" ] || [ ! -d "$SHOMEI_ROOT/$module/target/lib" ]; then
    echo "building $module (first use)..." >&2
    (cd "$SHOMEI_ROOT" && ./mvnw -B -q -ntp -pl "$module" -am package -DskipTests) >&2
    jar=$(ls "$SHOMEI_ROOT/$module"/target/"$module"-*.jar | grep -v -- '-tests' | head -n 1)
  fi
  exec java $SHOMEI_JVM_ARGS -cp "$jar:$SHOMEI_ROOT/$module/target/lib/*" "$main" "$@"
}
