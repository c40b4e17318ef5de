package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
