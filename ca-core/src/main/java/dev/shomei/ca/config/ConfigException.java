package dev.shomei.ca.config;

/** A configuration that cannot be used; the message names the setting and what to do. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
