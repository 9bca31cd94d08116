package dev.shomei.ra.console;

import dev.shomei.audit.Actor;
import dev.shomei.ra.console.Views.Page;
import dev.shomei.ra.officer.OfficerAuthentication;
import dev.shomei.ra.problem.RaProblem;
import io.quarkus.qute.TemplateInstance;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * How every console page is sent: rendered on the server, in the chosen language, with headers that keep it out of
 * caches (it shows personal data), out of frames (clickjacking) and away from any script or outside resource (the
 * console has none: Content-Security-Policy allows only its own style sheet and forms to itself).
 *
 * <p>Zone: online (ra-service), console. No state.
 */
final class Html {

    static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
            + " frame-ancestors 'none'; base-uri 'none'";

    private Html() {}

    /** The language of this request and the page header for the signed-in person. */
    record Context(Locale locale, String lang, String cookie) {
        static Context of(String lang, String cookie, HttpHeaders headers) {
            Locale l = ConsoleAccess.locale(lang, cookie, headers.getAcceptableLanguages());
            // Remember an explicit switch (the link on every page) for the next pages.
            return new Context(l, lang != null && ConsoleAccess.LANGUAGES.contains(lang) ? lang : null, cookie);
        }

        Page page(Actor who, OfficerAuthentication.Role role, String path) {
            String other = locale.getLanguage().equals("ja") ? "en" : "ja";
            return new Page(who == null ? "" : who.id(), role == null ? "" : role.name(), locale.getLanguage(),
                    path, "lang=" + other);
        }
    }

    static Response send(TemplateInstance t, Context ctx, int status) {
        String body = t.setLocale(ctx.locale()).render();
        Response.ResponseBuilder r = Response.status(status).entity(body)
                .type("text/html;charset=UTF-8")
                .header("Content-Language", ctx.locale().getLanguage())
                .header("Cache-Control", "no-store")
                .header("Content-Security-Policy", CSP)
                .header("X-Frame-Options", "DENY")
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer");
        if (ctx.lang() != null) {
            r.cookie(new NewCookie.Builder(ConsoleAccess.LANG_COOKIE).value(ctx.lang()).path("/console")
                    .secure(true).httpOnly(true).sameSite(NewCookie.SameSite.STRICT).maxAge(365 * 24 * 3600).build());
        }
        return r.build();
    }

    /** After a form: see the result page (POST/redirect/GET, so a reload does not send the form again). */
    static Response seeOther(String location) {
        return Response.seeOther(java.net.URI.create(location)).header("Cache-Control", "no-store").build();
    }

    static Response error(RaProblem p, Context ctx, Page page) {
        return send(ConsoleTemplates.error(page, p.status(), p.code(), p.title(), p.detail()), ctx, p.status());
    }

    /** What a console page does for the staff member signed in, on the page header made for them. */
    @FunctionalInterface
    interface SignedIn {
        Response show(Actor who, Page page);
    }

    /**
     * A console page: signs the request in as {@code role} and shows {@code path} to them; any refusal (sign-in,
     * a malformed id, nothing found) is the error page, under the header of whoever was signed in by then.
     */
    static Response page(ConsoleAccess access, HttpServerRequest request, OfficerAuthentication.Role role,
                         Context ctx, String path, SignedIn body) {
        Page page = ctx.page(null, null, path);
        try {
            Actor who = access.signIn(request, role);
            page = ctx.page(who, role, path);
            return body.show(who, page);
        } catch (RaProblem p) {
            return error(p, ctx, page);
        }
    }

    /**
     * A console form post: signs the request in as {@code role} and checks the form's token for {@code act} (a
     * refusal there is the error page, and nothing is done); then {@code body} performs the act, showing its own
     * refusals (the form again, with what was typed).
     */
    static Response form(ConsoleAccess access, HttpServerRequest request, OfficerAuthentication.Role role,
                         Context ctx, String path, Supplier<String> act, String token, SignedIn body) {
        Page page = ctx.page(null, null, path);
        Actor who;
        try {
            who = access.signIn(request, role);
            page = ctx.page(who, role, path);
            access.checkForm(request, who, act.get(), token);
        } catch (RaProblem p) {
            return error(p, ctx, page);
        }
        return body.show(who, page);
    }
}
