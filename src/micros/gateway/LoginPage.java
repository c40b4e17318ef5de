package micros.gateway;

/**
 * The page a browser gets for a private route: why, and a field to paste the login token. The
 * form sends it the way the printed link does (GET ?space_token=T on this origin), so the
 * gateway's login sets the cookie and redirects back without it; the form's target is a path of
 * this site only (never "//host", which a browser reads as another site).
 */
final class LoginPage {
    private LoginPage() {}

    static String html(String title, String why, String rawPath) {
        return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>" + Dashboard.esc(title) + "</title></head>\n<body style=\"font: 15px/1.5 system-ui, sans-serif; margin: 2rem; max-width: 40rem\">"
                + "<h1>" + Dashboard.esc(title) + "</h1>\n<p>" + Dashboard.esc(why) + "</p>\n"
                + "<form method=\"get\" action=\"" + Dashboard.esc(target(rawPath)) + "\">\n"
                + "<label for=\"space_token\">Login token</label><br>\n"
                + "<input id=\"space_token\" name=\"space_token\" type=\"password\" autocomplete=\"current-password\" required size=\"44\" "
                + "placeholder=\"the token of the login link micros printed\">\n<button type=\"submit\">Log in</button>\n</form>\n"
                + "<p>Or open the login link micros printed when it started (it ends in <code>/?space_token=&hellip;</code>). "
                + "Programs can send an API key in <code>X-Space-App-Key</code> to micros with the <code>api_keys</code> preset.</p>\n</body></html>\n";
    }

    /** Where the form goes: the page asked for, when it is a plain path of this site; else the app's root. */
    static String target(String rawPath) {
        if (rawPath == null || !rawPath.startsWith("/") || rawPath.startsWith("//") || !rawPath.matches("[A-Za-z0-9/._~%!$&'()*+,;=:@-]*")) return "/";
        return rawPath;
    }
}
