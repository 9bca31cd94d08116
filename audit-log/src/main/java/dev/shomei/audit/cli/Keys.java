package dev.shomei.audit.cli;

import dev.shomei.audit.TrustedKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the CLI's {@code --trusted-key} files.
 *
 * <p>Zone: all. Reads only the named files.
 */
final class Keys {

    private Keys() {}

    static List<PublicKey> load(List<Path> files) {
        List<PublicKey> keys = new ArrayList<>();
        for (Path f : files) {
            try {
                keys.addAll(TrustedKeys.read(f));
            } catch (IOException e) {
                throw new AuditCli.ConfigurationError("cannot read --trusted-key " + f + ": "
                        + e.getClass().getSimpleName() + " " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new AuditCli.ConfigurationError("--trusted-key " + e.getMessage(), e);
            }
        }
        return keys;
    }
}
