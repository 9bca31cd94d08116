package dev.shomei.publisher.origin;

/** One object to put on the origin: its path relative to the repository root, exact bytes and headers. */
public record OriginObject(String path, byte[] content, ObjectHeaders headers) {
}
