package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.spacefile.App.Micro;

class ValidatorTest {
    @TempDir
    Path dir;

    private Reading read(String yaml) throws Exception {
        for (String d : List.of("api", "web", "web/dist", "a", "b", "c", "d", "e", "f")) Files.createDirectories(dir.resolve(d));
        Path file = dir.resolve("Spacefile");
        Files.writeString(file, yaml);
        return SpacefileReader.parse(yaml, file);
    }

    /** The app is invalid and exactly one error names this line and field; returns its message. */
    private String error(String yaml, int line, String field) throws Exception {
        Reading r = read(yaml);
        assertFalse(r.valid(), "expected invalid: " + yaml);
        List<Problem> errors = r.problems().stream().filter(Problem::isError).toList();
        assertEquals(1, errors.size(), () -> "expected one error, got " + errors);
        Problem p = errors.get(0);
        assertEquals(line, p.line(), p::toString);
        assertEquals(field, p.field(), p::toString);
        assertTrue(p.toString().startsWith(dir.resolve("Spacefile") + ":" + line + ":"), p::toString);
        return p.message();
    }

    private static final String ONE = "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: python3.9\n";

    @Test
    void aMinimalAppIsValidAndItsOnlyMicroIsPrimary() throws Exception {
        Reading r = read(ONE);
        assertTrue(r.valid(), r.problems()::toString);
        assertTrue(r.problems().isEmpty(), r.problems()::toString);
        Micro api = r.app().micros().get(0);
        assertTrue(api.primary());
        assertEquals("", api.prefix());
        assertTrue(r.app().autoPwa());
    }

    @Test
    void versionIsRequiredAndZero() throws Exception {
        assertTrue(error("micros:\n  - name: api\n    src: api\n    engine: python3.9\n", 1, "").contains("'v' is required"));
        assertTrue(error(ONE.replace("v: 0", "v: 1"), 1, "v").contains("the only version is 0"));
        assertTrue(error(ONE.replace("v: 0", "v: \"0\""), 1, "v").contains("expected the number 0"));
    }

    @Test
    void unknownKeysAtAnyLevelWithDidYouMean() throws Exception {
        assertTrue(error(ONE + "    command:\n      - make\n", 6, "micros[0].command").contains("did you mean 'commands'?"));
        assertTrue(error(ONE + "app_nam: x\n", 6, "app_nam").contains("did you mean 'app_name'?"));
        assertTrue(error(ONE + "    presets:\n      envs:\n        - name: A\n", 7, "micros[0].presets.envs").contains("did you mean 'env'?"));
        assertTrue(error(ONE + "    actions:\n      - id: a\n        name: A\n        trigger: schedule\n        default_interval: 1 hour\n        intervall: x\n",
                11, "micros[0].actions[0].intervall").contains("unknown key"));
        assertTrue(error(ONE + "    presets:\n      env:\n        - name: A\n          value: 1\n", 9, "micros[0].presets.env[0].value").contains("unknown key"));
    }

    @Test
    void keysFromOtherPlatformsPointAtTheirSpacefilePlace() throws Exception {
        assertTrue(error(ONE + "    command: node index.js\n", 6, "micros[0].command").contains("did you mean 'run'?"));
        String env = error(ONE + "    env:\n      - name: A\n", 6, "micros[0].env");
        assertTrue(env.contains("presets: env: - name: NAME"), env);
        assertTrue(env.contains("--env"), env);
    }

    @Test
    void oneToFiveMicros() throws Exception {
        assertTrue(error("v: 0\nmicros: []\n", 2, "micros").contains("empty"));
        StringBuilder six = new StringBuilder("v: 0\nmicros:\n");
        for (String n : List.of("a", "b", "c", "d", "e", "f"))
            six.append("  - name: ").append(n).append("\n    src: ").append(n).append("\n    engine: nodejs16\n").append(n.equals("a") ? "    primary: true\n" : "");
        assertTrue(error(six.toString(), 3, "micros").contains("at most 5 micros"));
    }

    @Test
    void nameSrcAndEngineAreRequired() throws Exception {
        assertTrue(error("v: 0\nmicros:\n  - src: api\n    engine: python3.9\n", 3, "micros[0]").contains("'name' is required"));
        assertTrue(error("v: 0\nmicros:\n  - name: api\n    engine: python3.9\n", 3, "micros[0]").contains("'src' is required"));
        assertTrue(error("v: 0\nmicros:\n  - name: api\n    src: api\n", 3, "micros[0]").contains("'engine' is required"));
    }

    @Test
    void nameFollowsThePattern() throws Exception {
        assertTrue(error(ONE.replace("name: api", "name: -api"), 3, "micros[0].name").contains("not a valid micro name"));
        assertTrue(error(ONE.replace("name: api", "name: my api"), 3, "micros[0].name").contains("not a valid micro name"));
        assertTrue(read(ONE.replace("name: api", "name: R6_api-v1")).valid());
    }

    @Test
    void namesAreUnique() throws Exception {
        String yaml = "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: nodejs16\n    primary: true\n  - name: api\n    src: a\n    engine: nodejs16\n    path: other\n";
        assertTrue(error(yaml, 7, "micros[1].name").contains("already the name of micros[0]"));
    }

    @Test
    void engineIsOneOfTheSchemaList() throws Exception {
        String m = error(ONE.replace("python3.9", "python3.11"), 5, "micros[0].engine");
        assertTrue(m.contains("'python3.11' is not a supported engine (supported: static, react"), m);
    }

    @Test
    void exactlyOnePrimaryAmongSeveral() throws Exception {
        String two = "v: 0\nmicros:\n  - name: web\n    src: web\n    engine: static\n    serve: dist\n  - name: api\n    src: api\n    engine: nodejs16\n";
        assertTrue(error(two, 3, "micros").contains("one needs 'primary: true'"));
        String both = two.replace("serve: dist\n", "serve: dist\n    primary: true\n") + "    primary: true\n";
        assertTrue(error(both, 11, "micros[1].primary").contains("only one micro can be primary"));
        Reading ok = read(two.replace("serve: dist\n", "serve: dist\n    primary: true\n"));
        assertTrue(ok.valid(), ok.problems()::toString);
        assertEquals("/api", ok.app().micro("api").prefix());
    }

    @Test
    void pathDefaultsToTheNameAndIsNormalised() throws Exception {
        String base = "v: 0\nmicros:\n  - name: web\n    src: web\n    engine: static\n    serve: dist\n    primary: true\n  - name: api\n    src: api\n    engine: nodejs16\n";
        assertEquals("/api", read(base).app().micro("api").prefix());
        assertEquals("/v1", read(base + "    path: /v1/\n").app().micro("api").prefix());
        assertEquals("/v1/x", read(base + "    path: v1/x\n").app().micro("api").prefix());
        assertTrue(error(base + "    path: /\n", 11, "micros[1].path").contains("primary micro's place"));
        assertTrue(error(base + "    path: a//b\n", 11, "micros[1].path").contains("not a usable path"));
        assertTrue(error(base + "    path: __space\n", 11, "micros[1].path").contains("reserved"));
        String dup = base + "    path: x\n  - name: other\n    src: a\n    engine: nodejs16\n    path: /x\n";
        assertTrue(error(dup, 15, "micros[2].path").contains("already the path of micros[1]"));
    }

    @Test
    void staticNeedsServeAndServeIsOnlyForStaticLikeEngines() throws Exception {
        assertTrue(error("v: 0\nmicros:\n  - name: web\n    src: web\n    engine: static\n", 3, "micros[0]").contains("needs 'serve:'"));
        assertTrue(error(ONE + "    serve: dist\n", 6, "micros[0].serve").contains("only for the static, react, vue and svelte"));
        assertTrue(read("v: 0\nmicros:\n  - name: web\n    src: web\n    engine: react\n    serve: dist\n").valid());
    }

    @Test
    void includeIsNotAllowedOnStaticLikeEngines() throws Exception {
        assertTrue(error("v: 0\nmicros:\n  - name: web\n    src: web\n    engine: vue\n    include:\n      - dist\n", 6, "micros[0].include").contains("not allowed"));
        assertTrue(error(ONE + "    include:\n      - a\n      - a\n", 8, "micros[0].include[1]").contains("listed twice"));
    }

    @Test
    void publicAndPublicRoutesExcludeEachOther() throws Exception {
        assertTrue(error(ONE + "    public: true\n    public_routes:\n      - /x\n", 7, "micros[0].public_routes").contains("not both"));
    }

    @Test
    void publicRoutesAreNonEmptyAndUnique() throws Exception {
        assertTrue(error(ONE + "    public_routes:\n      - \"\"\n", 7, "micros[0].public_routes[0]").contains("empty route"));
        assertTrue(error(ONE + "    public_routes: [\"/a\", \"/a\"]\n", 6, "micros[0].public_routes[1]").contains("listed twice"));
        assertTrue(error(ONE + "    public_routes: []\n", 6, "micros[0].public_routes").contains("empty"));
    }

    @Test
    void appNameHasAtMostTwelveCharacters() throws Exception {
        assertTrue(error(ONE + "app_name: Deno on Space\n", 6, "app_name").contains("at most 12"));
        assertTrue(read(ONE + "app_name: \"Twelve chars\"\n").valid());
        assertTrue(read(ONE + "app_name: 日本語のアプリ名です十二\n").valid()); // 12 characters, more bytes
    }

    @Test
    void presetsEnvNeedsNamesAndApiKeysIsBoolean() throws Exception {
        assertTrue(error(ONE + "    presets:\n      env:\n        - description: x\n", 8, "micros[0].presets.env[0]").contains("'name' is required"));
        assertTrue(error(ONE + "    presets:\n      api_keys: yes\n", 7, "micros[0].presets.api_keys").contains("expected true or false"));
        Reading r = read(ONE + "    presets:\n      api_keys: true\n      env:\n        - name: A\n          default: \"1\"\n        - name: B\n");
        assertTrue(r.valid(), r.problems()::toString);
        Micro m = r.app().micros().get(0);
        assertTrue(m.apiKeys());
        assertEquals("1", m.env().get(0).defaultValue());
        assertEquals(null, m.env().get(1).defaultValue());
    }

    @Test
    void typesFollowTheSchema() throws Exception {
        assertTrue(error(ONE + "    presets:\n      env:\n        - name: PORT\n          default: 8501\n", 9, "micros[0].presets.env[0].default").contains("put it in quotes"));
        assertTrue(error(ONE + "    public: \"true\"\n", 6, "micros[0].public").contains("expected true or false"));
        assertTrue(error(ONE + "    commands: make\n", 6, "micros[0].commands").contains("expected a list"));
        assertTrue(error(ONE + "    run:\n", 6, "micros[0].run").contains("expected text, got nothing"));
        assertTrue(error("v: 0\nmicros:\n  api: x\n", 3, "micros").contains("expected a list"));
        assertTrue(error("v: 0\nmicros:\n  - just text\n", 3, "micros[0]").contains("expected a mapping"));
    }

    private static String action(String id, String name, String interval) {
        return "      - id: " + id + "\n        name: " + name + "\n        trigger: schedule\n        default_interval: \"" + interval + "\"\n";
    }

    @Test
    void atMostFiveActionsAMicro() throws Exception {
        StringBuilder y = new StringBuilder(ONE + "    actions:\n");
        for (int i = 0; i < 6; i++) y.append(action("a" + i, "A" + i, "1 hour"));
        assertTrue(error(y.toString(), 7, "micros[0].actions").contains("at most 5 actions"));
    }

    @Test
    void actionFieldsAreRequired() throws Exception {
        String y = ONE + "    actions:\n      - id: a\n        name: A\n        trigger: schedule\n";
        assertTrue(error(y, 7, "micros[0].actions[0]").contains("'default_interval' is required"));
        assertTrue(error(ONE + "    actions:\n      - id: a\n        name: A\n        trigger: webhook\n        default_interval: 1 hour\n", 9, "micros[0].actions[0].trigger").contains("only trigger is 'schedule'"));
    }

    @Test
    void actionIdsAndNamesAreUniqueAcrossTheApp() throws Exception {
        String two = "v: 0\nmicros:\n  - name: web\n    src: web\n    engine: nodejs16\n    primary: true\n    actions:\n" + action("clean", "Clean", "1 hour")
                + "  - name: api\n    src: api\n    engine: nodejs16\n    actions:\n" + action("clean", "Other", "1 day");
        assertTrue(error(two, 16, "micros[1].actions[0].id").contains("already the action id of micros[0].actions[0]"));
        String names = two.replace("id: clean\n        name: Other", "id: other\n        name: Clean");
        assertTrue(error(names, 17, "micros[1].actions[0].name").contains("unique across the app"));
    }

    @Test
    void actionDescriptionHasAtMost142Characters() throws Exception {
        String y = ONE + "    actions:\n" + action("a", "A", "1 hour") + "        description: " + "d".repeat(143) + "\n";
        assertTrue(error(y, 11, "micros[0].actions[0].description").contains("at most 142"));
    }

    @Test
    void intervalsMustBeRatesOrCron() throws Exception {
        for (String bad : List.of("1 minutes", "2 hour", "0 minutes", "5 weeks", "* * * *", "60 * * * *", "0 24 * * *", "0 0 1 * mon", "0 0 30 2 *", "0 0 ? * ?x", "soon"))
            assertTrue(error(ONE + "    actions:\n" + action("a", "A", bad), 10, "micros[0].actions[0].default_interval").length() > 10, bad);
        for (String good : List.of("1 minute", "5 minutes", "1 hour", "2 hours", "1 day", "3 days", "* * * * *", "0/15 * * * *",
                "0 18 * * mon-fri", "0/5 8-17 * * MON-FRI", "0 8 1 * *", "0 0 ? * 7", "15 12 1,15 jan-jun ?"))
            assertTrue(read(ONE + "    actions:\n" + action("a", "A", good)).valid(), good);
    }

    @Test
    void missingFoldersAreWarningsThatBlockRunning() throws Exception {
        Reading r = read("v: 0\nicon: nope.png\nmicros:\n  - name: x\n    src: missing\n    engine: nodejs16\n");
        assertTrue(r.valid());
        assertEquals(2, r.problems().size(), r.problems()::toString);
        Problem icon = r.problems().get(0), src = r.problems().get(1);
        assertFalse(icon.blocksRun());
        assertTrue(src.blocksRun());
        assertEquals("micros[0].src", src.field());
        assertTrue(src.toString().contains(":5:10: warning: micros[0].src: folder 'missing' does not exist"), src::toString);
        Reading serve = read("v: 0\nmicros:\n  - name: web\n    src: web\n    engine: static\n    serve: build\n");
        assertTrue(serve.valid());
        assertTrue(serve.problems().get(0).blocksRun());
        assertTrue(serve.problems().get(0).message().contains("does not exist in 'web'"));
    }

    @Test
    void srcMustStayInsideTheProject() throws Exception {
        assertTrue(error(ONE.replace("src: api", "src: ../elsewhere"), 4, "micros[0].src").contains("outside the project folder"));
        Reading slash = read(ONE.replace("src: api", "src: /"));
        assertTrue(slash.valid(), slash.problems()::toString);
    }

    /** A cloned app's Spacefile must not publish files outside the project (serve: ../../../../etc served /etc/passwd). */
    @Test
    void serveIncludeAndSrcCannotLeaveTheProject() throws Exception {
        String web = "v: 0\nmicros:\n  - name: web\n    src: web\n    engine: static\n    serve: dist\n";
        assertTrue(read(web).valid());
        String up = error(web.replace("serve: dist", "serve: ../../../../etc"), 6, "micros[0].serve");
        assertTrue(up.contains("'serve: ../../../../etc' is outside the project"), up);
        String abs = error(web.replace("serve: dist", "serve: /etc"), 6, "micros[0].serve");
        assertTrue(abs.contains("'/etc' is an absolute path: 'serve' paths are relative to the micro's folder"), abs);
        Files.createDirectories(dir.resolve("outside"));
        Path project = dir.resolve("web");
        Files.createSymbolicLink(project.resolve("etc"), Path.of("/etc"));
        String link = error(web.replace("serve: dist", "serve: etc"), 6, "micros[0].serve");
        assertTrue(link.contains("'serve: etc' is outside the project: a symlink"), link);
        String node = "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: nodejs16\n    include:\n      - index.js\n      - ../../web\n";
        assertTrue(error(node, 8, "micros[0].include[1]").contains("'include: ../../web' is outside the project"));
        Files.createSymbolicLink(dir.resolve("api/secrets"), Path.of("/root"));
        assertTrue(error(node.replace("../../web", "secrets/"), 8, "micros[0].include[1]").contains("a symlink"));
        assertTrue(error(node.replace("../../web", "/etc/passwd"), 8, "micros[0].include[1]").contains("absolute path"));
        Files.createSymbolicLink(dir.resolve("linked"), Path.of("/usr"));
        assertTrue(error(ONE.replace("src: api", "src: linked"), 4, "micros[0].src").contains("'src: linked' is outside the project: a symlink"));
    }

    @Test
    void customWithoutRunCannotStart() throws Exception {
        Reading r = read("v: 0\nmicros:\n  - name: x\n    src: api\n    engine: custom\n");
        assertTrue(r.valid());
        assertFalse(r.problems().get(0).blocksRun(), "Space accepted it; 'run' refuses it when it plans the start");
        assertTrue(r.problems().get(0).message().contains("needs 'run:'"));
    }

    @Test
    void allProblemsAreReportedAtOnce() throws Exception {
        Reading r = read("v: 2\nmicros:\n  - name: -x\n    src: api\n    engine: go\n    primay: true\n");
        assertEquals(4, r.errors(), r.problems()::toString);
        assertNotNull(r.problems());
    }

    @Test
    void aPathThatNoFileCanHaveIsAnErrorNotACrash() throws Exception { // found by the fuzzer
        assertTrue(error(ONE.replace("src: api", "src: \"a\\0b\""), 4, "micros[0].src").contains("not a usable path"));
        assertTrue(error("v: 0\nicon: \"x\\0.png\"\nmicros:\n  - name: api\n    src: api\n    engine: python3.9\n", 2, "icon").contains("not a usable path"));
    }
}
