package dev.shomei.ra.testkit;

import dev.shomei.testsupport.RestartableDatabase;
import dev.shomei.testsupport.TestDatabase;
import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * {@link RaTestEnvironment} with a PostgreSQL of its own that the fault suite kills (SIGKILL, postmaster and
 * backends) and starts again on the same data directory (test-support's RestartableDatabase; docs/faults.md).
 *
 * <p>The test reaches the server through {@link #crash()} and {@link #restart()}, which go through a JMX MBean on the
 * platform MBean server: the call works whichever class loader started this resource and whichever runs the test
 * (a static field would not be shared between two class loaders; a system property must hold strings only).
 *
 * <p>Zone: tests only. Starts and kills the PostgreSQL processes it started.
 */
public class RestartableRaEnvironment extends RaTestEnvironment {

    /** What the MBean offers (JMX's naming convention: the class's name + "MBean"). */
    public interface DatabaseControlMBean {
        void crash();

        void restart();

        void restartIfDown();
    }

    /** The MBean over the server this resource started. */
    public static final class DatabaseControl implements DatabaseControlMBean {
        private final RestartableDatabase db;

        DatabaseControl(RestartableDatabase db) {
            this.db = db;
        }

        @Override
        public void crash() {
            db.crash();
        }

        @Override
        public void restart() {
            db.restart();
        }

        @Override
        public void restartIfDown() {
            if (!db.running()) {
                db.restart();
            }
        }
    }

    private static final String NAME = "dev.shomei.test:type=RestartableRaDatabase";
    private RestartableDatabase db;

    @Override
    protected TestDatabase.Database database() {
        db = RestartableDatabase.start("ra_faults");
        try {
            ManagementFactory.getPlatformMBeanServer().registerMBean(new DatabaseControl(db), new ObjectName(NAME));
        } catch (JMException e) {
            throw new IllegalStateException("cannot register the database control: " + e.getMessage(), e);
        }
        return db.database();
    }

    /** SIGKILL to the RA's PostgreSQL (every connection breaks; what was not committed is gone). */
    public static void crash() {
        invoke("crash");
    }

    /** Starts the RA's PostgreSQL again on the same data directory (it replays its WAL). */
    public static void restart() {
        invoke("restart");
    }

    /** Starts it again if a crash left it down. */
    public static void restartIfDown() {
        invoke("restartIfDown");
    }

    private static void invoke(String operation) {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName(NAME), operation, null, null);
        } catch (JMException e) {
            throw new IllegalStateException("RA database control " + operation + " failed (is the test resource"
                    + " RestartableRaEnvironment?): " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        super.stop();
        if (db != null) {
            db.close();
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(new ObjectName(NAME));
            } catch (JMException e) {
                // already gone
            }
        }
    }
}
