package dev.shomei.publisher;

import java.nio.file.Path;
import java.time.Clock;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Test classes that talk to one published repository and its edge, started once per class. */
abstract class AgainstPublishedRepository {

    @TempDir static Path tmp;
    static PublishedRepository repo;

    @BeforeAll
    static void start() throws Exception {
        repo = new PublishedRepository(tmp, Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        repo.close();
    }
}
