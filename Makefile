# micros: build with the JDK alone; JUnit is fetched once for the tests.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

JAVAC ?= javac
JAVA ?= java
JAR ?= jar
RELEASE := 17
JUNIT_VERSION := 1.14.1
JUNIT_JAR := .cache/junit-platform-console-standalone-$(JUNIT_VERSION).jar

SRC := $(shell find src -name '*.java')
RESOURCES := $(shell find src -type f ! -name '*.java')
TEST_SRC := $(shell find test/micros -name '*.java')
SAMPLE ?= samples/hello
# which tests: all by default; e.g. make test SELECT="--select-class micros.sandbox.LimitsTest"
SELECT ?= --scan-class-path

.PHONY: all jar test run clean bench bench-start bench-data stress
all: jar
jar: build/micros.jar

# -XDstringConcat=inline: string concatenation through StringBuilder, as the JDK builds its
# own java.base; the default (invokedynamic) costs ~25 ms of bootstrap at every start-up.
build/micros.jar: $(SRC) $(RESOURCES)
	@rm -rf build/classes && mkdir -p build/classes
	$(JAVAC) --release $(RELEASE) -XDstringConcat=inline -Xlint:all,-serial -encoding UTF-8 -d build/classes $(SRC)
	@cd src && find . -type f ! -name '*.java' -exec cp --parents {} ../build/classes/ \;
	$(JAR) --create --file $@ --main-class micros.Main -C build/classes .

$(JUNIT_JAR):
	@mkdir -p .cache
	mvn -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$(JUNIT_VERSION) -DoutputDirectory=.cache

build/test-classes.stamp: build/micros.jar $(JUNIT_JAR) $(TEST_SRC)
	@rm -rf build/test-classes && mkdir -p build/test-classes
	$(JAVAC) --release $(RELEASE) -encoding UTF-8 -cp build/classes:$(JUNIT_JAR) -d build/test-classes $(TEST_SRC)
	@touch $@

# Every test; the last line is "N passed, N failed[, N skipped]".
test: build/test-classes.stamp
	@test/subreaper $(JAVA) -jar $(JUNIT_JAR) execute --disable-banner --disable-ansi-colors --details=tree --details-theme=ascii \
	    --class-path build/test-classes:build/classes:test/resources $(SELECT) \
	    --config junit.jupiter.extensions.autodetection.enabled=true \
	    --exclude-tag slow 2>&1 | tee build/test-output.txt | grep -av '^\[.*\]$$' ; \
	test/summarize build/test-output.txt

# Slow reliability tests (soak, many connections, full-size fuzzing).
stress: build/test-classes.stamp
	@test/subreaper $(JAVA) -jar $(JUNIT_JAR) execute --disable-banner --disable-ansi-colors --details=tree --details-theme=ascii \
	    --class-path build/test-classes:build/classes:test/resources $(SELECT) \
	    --config junit.jupiter.extensions.autodetection.enabled=true \
	    --include-tag slow 2>&1 | tee build/stress-output.txt | grep -av '^\[.*\]$$' ; \
	test/summarize build/stress-output.txt

run: build/micros.jar
	$(JAVA) -jar build/micros.jar run $(SAMPLE) $(ARGS)

# Throughput, latency, CPU, memory, large bodies, start-up and cold start against direct and nginx.
bench: build/micros.jar
	@mkdir -p build/bench/hello
	@$(JAVAC) --release $(RELEASE) -d build/bench/hello test/bench/HelloServer.java
	@$(JAR) --create --file build/bench/hello.jar --main-class HelloServer -C build/bench/hello .
	$(JAVA) test/bench/Bench.java
	test/bench/data-bench.sh

# Only the starts: warm start-up, samples/deps' first (installs) and second start, cold start.
bench-start: build/micros.jar
	@mkdir -p build/bench/hello
	@$(JAVAC) --release $(RELEASE) -d build/bench/hello test/bench/HelloServer.java
	@$(JAR) --create --file build/bench/hello.jar --main-class HelloServer -C build/bench/hello .
	BENCH_ONLY=startup $(JAVA) test/bench/Bench.java

# Deta Base and Drive through the python SDK over HTTPS (also the last part of bench).
bench-data: build/micros.jar
	test/bench/data-bench.sh

clean:
	rm -rf build
