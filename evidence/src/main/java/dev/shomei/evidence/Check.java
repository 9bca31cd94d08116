package dev.shomei.evidence;

/**
 * One check of an evidence package: which file it looked at, what it checked, and what it found. A check that
 * does not apply (an approval's certificate, for a rejected application) is not made at all.
 *
 * <p>Zone: all. Value type.
 *
 * @param file   the package file the check is about (the one to look at when it fails)
 * @param name   a stable name for the check, e.g. {@code cms-signature}
 * @param status PASS, FAIL, or WARN (the check could not be made with what the auditor supplied: e.g. no pin)
 */
public record Check(String file, String name, Status status, String detail) {

    public enum Status { PASS, WARN, FAIL }

    public static Check pass(String file, String name, String detail) {
        return new Check(file, name, Status.PASS, detail);
    }

    public static Check fail(String file, String name, String detail) {
        return new Check(file, name, Status.FAIL, detail);
    }

    public static Check warn(String file, String name, String detail) {
        return new Check(file, name, Status.WARN, detail);
    }

    public static Check of(boolean ok, String file, String name, String passed, String failed) {
        return ok ? pass(file, name, passed) : fail(file, name, failed);
    }

    @Override
    public String toString() {
        return String.format("%-4s %-24s %-28s %s", status, file, name, detail);
    }
}
