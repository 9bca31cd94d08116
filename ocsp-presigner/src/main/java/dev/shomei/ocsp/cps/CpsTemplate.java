package dev.shomei.ocsp.cps;

import dev.shomei.ca.config.ConfigException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills the CP/CPS template (docs/cps/cp-cps.template.md): every {@code {{source:setting}}} is replaced by the
 * configured value. Refused, with every problem listed: a placeholder no field fills, a field the template does
 * not state (a configured value the CP/CPS would silently leave out), and a field stated only outside its
 * RFC 3647 clause (the heading numbers say where the text is).
 *
 * <p>Zone: secure. Pure text.
 */
public final class CpsTemplate {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([^{}]*)}}");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(\\d+(?:\\.\\d+)*)\\.?\\s.*");

    private CpsTemplate() {}

    /** The keys a template names, in order of appearance (for tests and error messages). */
    public static List<String> placeholders(String template) {
        List<String> out = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            out.add(m.group(1).trim());
        }
        return out;
    }

    public static String fill(String template, Map<String, CpsFields.Field> fields) {
        List<String> problems = new ArrayList<>();
        Set<String> used = new HashSet<>();
        Set<String> inClause = new HashSet<>();
        String section = "";
        StringBuilder out = new StringBuilder(template.length() * 2);
        String[] lines = template.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                section = h.group(1);
            }
            Matcher m = PLACEHOLDER.matcher(line);
            StringBuilder filled = new StringBuilder();
            while (m.find()) {
                String key = m.group(1).trim();
                CpsFields.Field f = fields.get(key);
                String where = "line " + (i + 1) + " (section " + (section.isEmpty() ? "none" : section) + ")";
                if (f == null) {
                    problems.add(where + ": {{" + key + "}} is not a configuration field the generator knows");
                    m.appendReplacement(filled, "");
                    continue;
                }
                if (f.block() && !line.trim().equals(m.group())) {
                    problems.add(where + ": {{" + key + "}} is a table or list and must stand alone on its line");
                }
                used.add(key);
                if (section.equals(f.clause()) || section.startsWith(f.clause() + ".")) {
                    inClause.add(key);
                }
                m.appendReplacement(filled, Matcher.quoteReplacement(f.text()));
            }
            m.appendTail(filled);
            out.append(filled);
            if (i < lines.length - 1) {
                out.append('\n');
            }
        }
        for (CpsFields.Field f : fields.values()) {
            if (!used.contains(f.key())) {
                problems.add("{{" + f.key() + "}} (CP/CPS " + f.clause() + ") is configured but the template never states it");
            } else if (!inClause.contains(f.key())) {
                problems.add("{{" + f.key() + "}} belongs in section " + f.clause() + " but the template states it only elsewhere");
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("the CP/CPS template does not match the configuration (" + problems.size()
                    + " problem(s)):\n  " + String.join("\n  ", problems));
        }
        return out.toString();
    }
}
