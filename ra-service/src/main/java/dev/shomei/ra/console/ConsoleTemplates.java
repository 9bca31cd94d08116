package dev.shomei.ra.console;

import dev.shomei.ra.console.Views.ApplicationPage;
import dev.shomei.ra.console.Views.Page;
import dev.shomei.ra.console.Views.RevocationPage;
import dev.shomei.ra.console.Views.Row;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import java.util.List;

/**
 * The console's pages (templates/console/*.html), type-checked at build time. Qute escapes every value written
 * into an HTML template; the only raw output is the evidence module's SVG charts, which escape their own labels.
 *
 * <p>Zone: online (ra-service), console. Declarations only.
 */
@CheckedTemplate(basePath = "console")
final class ConsoleTemplates {

    private ConsoleTemplates() {}

    static native TemplateInstance queue(Page page, List<Row> rows, String query, String status,
                                         List<String> statuses, boolean searching, String previous, String next);

    static native TemplateInstance application(Page page, ApplicationPage app, String token, String notice,
                                               String error, String reason, String certifiedName);

    static native TemplateInstance revocation(Page page, RevocationPage rev, String token, String notice,
                                              String error);

    static native TemplateInstance auditor(Page page, String from, String to, Views.StatsView stats,
                                           String deciderChart, String perDayChart, String token,
                                           Views.ReconciliationView reconciliation, Views.SampleView sample,
                                           String error);

    static native TemplateInstance error(Page page, int status, String code, String title, String detail);
}
