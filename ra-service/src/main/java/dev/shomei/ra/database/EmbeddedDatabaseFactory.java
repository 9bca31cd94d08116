package dev.shomei.ra.database;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import java.util.List;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Adds {@link EmbeddedDatabase} when {@code ra.database.embedded} is true (the default) and no
 * {@code quarkus.datasource.jdbc.url} is configured.
 *
 * <p>Zone: online (ra-service). Reads configuration only.
 */
public final class EmbeddedDatabaseFactory implements ConfigSourceFactory {

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        // The Quarkus build reads configuration too, and would both start a server and bake its URL into the
        // application. Quarkus's deployment classes exist only while building (and in dev/test mode).
        if (building()) {
            return List.of();
        }
        ConfigValue enabled = context.getValue("ra.database.embedded");
        if (enabled.getValue() != null && !Boolean.parseBoolean(enabled.getValue())) {
            return List.of();
        }
        ConfigValue url = context.getValue("quarkus.datasource.jdbc.url");
        if (url.getValue() != null && !url.getValue().isBlank()) {
            return List.of();
        }
        ConfigValue dir = context.getValue("ra.database.data-directory");
        ConfigValue port = context.getValue("ra.database.port");
        return List.of(new EmbeddedDatabase(dir.getValue() == null ? "var/ra-db" : dir.getValue(),
                port.getValue() == null ? 54329 : Integer.parseInt(port.getValue())));
    }

    private static boolean building() {
        try {
            Class.forName("io.quarkus.deployment.QuarkusAugmentor", false, EmbeddedDatabaseFactory.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public java.util.OptionalInt getPriority() {
        return java.util.OptionalInt.of(EmbeddedDatabase.ORDINAL);
    }
}
