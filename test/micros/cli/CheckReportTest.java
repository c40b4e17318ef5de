package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import micros.support.Apps;
import micros.support.Jar;
import micros.util.Json;

/** check --junit FILE (one test case per check) and check --json, for CI systems and scripts. */
class CheckReportTest {
    @TempDir
    Path dir;

    @Test
    void aFailingCheckIsAJUnitFailureWithStatusAndLastOutputAndJsonAlone() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("messages", dir);
        Path report = dir.resolve("report.xml");
        Jar.Result r = Jar.run(app, "check", "--junit", report.toString(), "--json", "--expect", "GET / 200", "--expect", "GET /x");
        assertEquals(1, r.exit(), r.all());

        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile());
        Element suites = doc.getDocumentElement();
        assertEquals("testsuites", suites.getTagName());
        assertEquals("2", suites.getAttribute("tests"));
        assertEquals("2", suites.getAttribute("failures"));
        Element first = (Element) doc.getElementsByTagName("testcase").item(0);
        assertEquals("GET /", first.getAttribute("name"));
        Element failure = (Element) first.getElementsByTagName("failure").item(0);
        assertEquals("status 503", failure.getAttribute("type"));
        assertTrue(failure.getTextContent().contains("Error: Cannot find module 'express'"), failure.getTextContent());

        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(r.out().strip());
        assertEquals(false, json.get("passed"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> checks = (List<Map<String, Object>>) json.get("checks");
        assertEquals(2, checks.size());
        assertEquals(503L, ((Number) checks.get(0).get("status")).longValue());
        assertEquals("200", checks.get(0).get("expected"));
        assertTrue(checks.get(0).get("lastOutput").toString().contains("Cannot find module 'express'"));
        assertTrue(r.err().contains("1 of") || r.err().contains("2 of 2 checks failed"), "the table goes to stderr: " + r.all());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theReportNamesTheInstanceEachCheckTookAndCountsThem() throws Exception {
        Apps.require("python3");
        Path app = Apps.copy("instances", dir);
        // one after the other: the second takes the instance the first one started (warm, or thawed), no second cold start
        Jar.Result r = Jar.run(app, "check", "--json", "--expect", "GET /count 200", "--expect", "GET /count 200");
        assertEquals(0, r.exit(), r.all());
        List<Map<String, Object>> checks = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(r.out().strip())).get("checks");
        assertEquals(1L, checks.get(0).get("instance"), checks.toString());
        assertEquals(1L, checks.get(1).get("instance"), checks.toString());
        assertTrue(checks.get(0).get("coldStartMillis") != null && checks.get(1).get("coldStartMillis") == null, checks.toString());
        assertTrue(r.err().contains("instance  cold start"), "the table has an instance column: " + r.err());
        assertTrue(r.err().contains("instances: api: 1 cold start (at most 8 instances), now 1 "), r.err());
    }

    private static Element onlyFailure(Path report) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile());
        assertEquals("1", doc.getDocumentElement().getAttribute("failures"), Files.readString(report));
        for (int i = 0; i < doc.getElementsByTagName("testcase").getLength(); i++) {
            Element c = (Element) doc.getElementsByTagName("testcase").item(i);
            if (c.getElementsByTagName("failure").getLength() > 0) return c;
        }
        throw new AssertionError("no failing test case in " + Files.readString(report));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> failedCheck(Jar.Result r) {
        Map<String, Object> json = (Map<String, Object>) Json.parse(r.out().strip()); // stdout holds the JSON alone
        assertEquals(false, json.get("passed"));
        for (Object c : (List<Object>) json.get("checks")) if (Boolean.FALSE.equals(((Map<String, Object>) c).get("ok"))) return (Map<String, Object>) c;
        throw new AssertionError("no failed check in " + json);
    }

    /** Whatever stops check before its requests is still in the table, the JUnit file and the JSON, with the documented exit code. */
    @Test
    void aSpacefileThatIsMissingOrInvalidIsAFailedCheckInEveryReport() throws Exception {
        Path report = dir.resolve("report.xml");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Jar.Result missing = Jar.run(empty, "check", "--junit", report.toString(), "--json");
        assertEquals(2, missing.exit(), missing.all());
        Element c = onlyFailure(report);
        assertEquals("Spacefile", c.getAttribute("name"));
        assertTrue(c.getElementsByTagName("failure").item(0).getTextContent().contains("no Spacefile in " + empty), Files.readString(report));
        assertEquals("Spacefile", failedCheck(missing).get("check"));
        assertTrue(missing.err().matches("(?s).*\\n- +Spacefile +.*fail \\(no Spacefile in .*"), "the table, on stderr with --json: " + missing.all());

        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(bad.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: .\n    engine: ruby\n");
        Jar.Result invalid = Jar.run(bad, "check", "--junit", report.toString(), "--json");
        assertEquals(2, invalid.exit(), invalid.all());
        String message = ((Element) onlyFailure(report).getElementsByTagName("failure").item(0)).getAttribute("message");
        assertTrue(message.contains("Spacefile:5:13: micros[0].engine: 'ruby' is not a supported engine"), message);
        assertTrue(String.valueOf(failedCheck(invalid).get("reason")).contains("'ruby' is not a supported engine"), invalid.all());
    }

    @Test
    void aFailedBuildCommandAndAFailedFrontendBuildAreFailedChecksInEveryReport() throws Exception {
        Apps.require("node", "npm");
        Path report = dir.resolve("report.xml");
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("index.html"), "<h1>hello</h1>\n");
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: .\n    engine: static\n    serve: .\n"
                + "    commands:\n      - echo compiling; exit 7\n");
        // the micro's commands run at every build, as Space's builder ran them: a failure leaves the micro unavailable (503)
        Jar.Result command = Jar.run(app, "check", "--junit", report.toString(), "--json");
        assertEquals(1, command.exit(), "a failed check, not the command's own code: " + command.all());
        Element c = (Element) DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile()).getElementsByTagName("testcase").item(0);
        assertEquals("install and build", c.getAttribute("name"));
        assertTrue(c.getElementsByTagName("failure").item(0).getTextContent().contains("build command 'echo compiling; exit 7' failed with exit code 7"), Files.readString(report));
        assertTrue(String.valueOf(failedCheck(command).get("reason")).contains("failed with exit code 7"), command.all());
        assertTrue(command.err().contains("2 of 2 checks failed"), "the build, and the micro's 503: " + command.all());

        Path web = Files.createDirectories(dir.resolve("web"));
        Files.writeString(web.resolve("package.json"), "{\"name\": \"web\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"echo cannot build >&2; exit 3\"}}\n");
        Files.writeString(web.resolve("Spacefile"), "v: 0\nmicros:\n  - name: web\n    src: .\n    engine: vue\n");
        Jar.Result frontend = Jar.run(web, "check", "--junit", report.toString(), "--json");
        assertEquals(1, frontend.exit(), frontend.all());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile());
        Element build = (Element) doc.getElementsByTagName("testcase").item(0);
        assertEquals("install and build", build.getAttribute("name"));
        assertEquals("web.web", build.getAttribute("classname"));
        assertTrue(build.getElementsByTagName("failure").item(0).getTextContent().contains("its frontend build failed"), Files.readString(report));
        assertEquals("install and build", failedCheck(frontend).get("check"));
    }

    /** A report that cannot be written is known before anything runs, not after a long build. */
    @Test
    void aJUnitPathThatCannotBeWrittenIsRefusedBeforeTheAppStarts() throws Exception {
        Path app = Apps.copy("appactions", dir);
        Jar.Result r = Jar.run(app, "check", "--junit", dir.resolve("no/such/folder/report.xml").toString());
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.err().contains("micros: --junit " + dir.resolve("no/such/folder/report.xml") + ": cannot write the report there (its folder does not exist)"), r.all());
        assertTrue(r.out().isEmpty(), "nothing started: " + r.all());
        assertTrue(!Files.exists(app.resolve(".micros")), "no state folder was made");
    }

    @Test
    void passingChecksAreTestCasesWithoutFailures() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("appactions", dir);
        Path report = dir.resolve("ok.xml");
        Jar.Result r = Jar.run(app, "check", "--junit", report.toString(), "--expect", "GET /count 200");
        assertEquals(0, r.exit(), r.all());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile());
        assertEquals("0", doc.getDocumentElement().getAttribute("failures"));
        assertEquals(1, doc.getElementsByTagName("testcase").getLength());
        assertEquals(0, doc.getElementsByTagName("failure").getLength());
        assertTrue(r.out().contains("all 1 check passed"), r.all());
    }
}
