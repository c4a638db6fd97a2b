package lem.runtime.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schedules' timing with a clock the test moves: no sleeps. */
class CampaignSchedulesTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @TempDir
    Path dir;

    /** A clock the test sets. */
    static final class TestClock extends Clock {
        Instant now;

        TestClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Starts numbered instances and remembers which are still active. */
    static final class Starts implements CampaignSchedules.Starter {
        final List<String> started = new ArrayList<>();
        final Set<String> active = new HashSet<>();

        @Override
        public String start(Path campaignFile) {
            String id = campaignFile.getFileName() + "-" + (started.size() + 1);
            started.add(id);
            active.add(id);
            return id;
        }

        @Override
        public boolean active(String campaignId) {
            return active.contains(campaignId);
        }
    }

    private final Path file() {
        return dir.resolve("campaigns").resolve(CampaignSchedules.FILE);
    }

    @Test
    void anIntervalFiresEveryIntervalFromItsCreationAndSkipsWhileThePreviousInstanceRuns() throws IOException {
        TestClock clock = new TestClock(Instant.parse("2026-11-30T10:00:00Z"));
        Starts starts = new Starts();
        CampaignSchedules book = new CampaignSchedules(file(), clock, starts);
        CampaignSchedules.Schedule s = book.add(dir.resolve("c.yaml"), "6h", null, BERLIN);
        assertEquals("every 6h", s.when());
        assertEquals(Instant.parse("2026-11-30T16:00:00Z").toEpochMilli(), s.nextEpochMillis());

        clock.advance(Duration.ofHours(6).minusSeconds(1));
        assertEquals(List.of(), book.fireDue(), "not yet");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(List.of("schedule 1: 2026-11-30T16:00:00Z started c.yaml-1"), book.fireDue());
        assertEquals(List.of(), book.fireDue(), "once per firing");
        assertEquals(Instant.parse("2026-11-30T22:00:00Z").toEpochMilli(), book.list().get(0).nextEpochMillis());

        clock.advance(Duration.ofHours(6).plusMinutes(3));
        assertEquals(List.of("schedule 1: 2026-11-30T22:00:00Z skipped: c.yaml-1 still queued or running"), book.fireDue());
        assertEquals(List.of("c.yaml-1"), starts.started, "no second instance while the first runs");
        assertEquals(Instant.parse("2026-12-01T04:00:00Z").toEpochMilli(), book.list().get(0).nextEpochMillis(),
                "the grid stays on the creation time, not the late tick");

        starts.active.clear();
        clock.now = Instant.parse("2026-12-01T04:00:00Z");
        assertEquals(List.of("schedule 1: 2026-12-01T04:00:00Z started c.yaml-2"), book.fireDue());
        assertEquals(List.of("2026-11-30T16:00:00Z started c.yaml-1", "2026-11-30T22:00:00Z skipped: c.yaml-1 still queued or running",
                "2026-12-01T04:00:00Z started c.yaml-2"), book.list().get(0).history());
        assertEquals("c.yaml-2", book.list().get(0).lastCampaignId());
    }

    @Test
    void timesOfDayAreLocalToTheScheduleZoneAcrossMidnightAndDaylightSaving() throws IOException {
        // 13:00 in Berlin (UTC+1 in November)
        TestClock clock = new TestClock(ZonedDateTime.of(2026, 11, 30, 13, 0, 0, 0, BERLIN).toInstant());
        CampaignSchedules book = new CampaignSchedules(file(), clock, new Starts());
        CampaignSchedules.Schedule s = book.add(dir.resolve("c.yaml"), null, "14:00, 02:00", BERLIN);
        assertEquals("at 02:00, 14:00 (Europe/Berlin)", s.when());
        assertEquals(ZonedDateTime.of(2026, 11, 30, 14, 0, 0, 0, BERLIN).toInstant().toEpochMilli(), s.nextEpochMillis());

        clock.now = ZonedDateTime.of(2026, 11, 30, 14, 0, 30, 0, BERLIN).toInstant();
        assertEquals(1, book.fireDue().size());
        assertEquals(ZonedDateTime.of(2026, 12, 1, 2, 0, 0, 0, BERLIN).toInstant().toEpochMilli(),
                book.list().get(0).nextEpochMillis(), "after 14:00 comes 02:00 of the next day");

        // 02:00 on 2026-03-29 does not exist in Berlin: the clocks jump to 03:00
        CampaignSchedules.Schedule spring = new CampaignSchedules.Schedule(9, "x", 0, List.of("02:30"), "Europe/Berlin", 0,
                0, null, List.of());
        Instant beforeJump = ZonedDateTime.of(2026, 3, 29, 1, 0, 0, 0, BERLIN).toInstant();
        assertEquals(Instant.parse("2026-03-29T01:30:00Z"), CampaignSchedules.nextAfter(spring, beforeJump),
                "the skipped local time fires at the shifted instant, 03:30 CEST");
    }

    @Test
    void schedulesSurviveARestartAndFiringsMissedWhileDownAreMadeUpOnce() throws IOException {
        TestClock clock = new TestClock(Instant.parse("2026-11-30T00:00:00Z"));
        new CampaignSchedules(file(), clock, new Starts()).add(dir.resolve("a.yaml"), "1h", null, BERLIN);
        new CampaignSchedules(file(), clock, new Starts()).add(dir.resolve("b.yaml"), null, "02:00", BERLIN);

        clock.advance(Duration.ofHours(5).plusMinutes(10));
        Starts starts = new Starts();
        CampaignSchedules restarted = new CampaignSchedules(file(), clock, starts);
        assertEquals(List.of(1, 2), restarted.list().stream().map(CampaignSchedules.Schedule::number).toList());
        List<String> fired = restarted.fireDue();
        assertEquals(2, fired.size(), fired.toString());
        assertEquals(List.of("a.yaml-1", "b.yaml-2"), starts.started, "one firing each, not one per missed hour");
        assertEquals(Instant.parse("2026-11-30T06:00:00Z").toEpochMilli(), restarted.list().get(0).nextEpochMillis());

        restarted.remove(1);
        assertEquals(List.of(2), new CampaignSchedules(file(), clock, starts).list().stream()
                .map(CampaignSchedules.Schedule::number).toList(), "the removal is kept on disk");
        CampaignException none = assertThrows(CampaignException.class, () -> restarted.remove(7));
        assertEquals("no campaign schedule 7; there are: 2", none.getMessage());
    }

    @Test
    void aFiringThatCannotStartIsRecordedAndTheScheduleGoesOn() throws IOException {
        TestClock clock = new TestClock(Instant.parse("2026-11-30T00:00:00Z"));
        CampaignSchedules book = new CampaignSchedules(file(), clock, new CampaignSchedules.Starter() {
            @Override
            public String start(Path campaignFile) {
                throw new CampaignException("campaign file " + campaignFile + " not found");
            }

            @Override
            public boolean active(String campaignId) {
                return false;
            }
        });
        book.add(dir.resolve("gone.yaml"), "30m", null, BERLIN);
        clock.advance(Duration.ofMinutes(30));
        assertTrue(book.fireDue().get(0).endsWith("failed to start: campaign file " + dir.resolve("gone.yaml") + " not found"));
        assertEquals(Instant.parse("2026-11-30T01:00:00Z").toEpochMilli(), book.list().get(0).nextEpochMillis());
    }

    @Test
    void badIntervalsAndTimesAreRefusedNamingTheValue() {
        assertEquals(6 * 3600, CampaignSchedules.parseEvery("6h"));
        assertEquals(90 * 60, CampaignSchedules.parseEvery("90m"));
        assertEquals(86_400, CampaignSchedules.parseEvery("1d"));
        assertEquals("90m", CampaignSchedules.formatInterval(5400));
        assertEquals("--every '6x' is not an interval; write a number and a unit: s, m, h or d (e.g. 6h, 30m, 1d)",
                assertThrows(CampaignException.class, () -> CampaignSchedules.parseEvery("6x")).getMessage());
        assertTrue(assertThrows(CampaignException.class, () -> CampaignSchedules.parseEvery("30s")).getMessage()
                .contains("shorter than a minute"));
        assertEquals("--at: '25:00' is not a time of day HH:mm (e.g. --at 02:00,14:00)",
                assertThrows(CampaignException.class, () -> CampaignSchedules.parseAt("02:00,25:00")).getMessage());
        TestClock clock = new TestClock(Instant.EPOCH);
        CampaignSchedules book = new CampaignSchedules(file(), clock, new Starts());
        assertTrue(assertThrows(CampaignException.class, () -> book.add(dir.resolve("c.yaml"), "6h", "02:00", BERLIN))
                .getMessage().contains("not both"));
    }
}
