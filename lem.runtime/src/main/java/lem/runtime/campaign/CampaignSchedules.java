package lem.runtime.campaign;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import lem.runtime.results.ResultsFileException;
import lem.runtime.results.ResultsJson;

/**
 * Campaigns started again and again for long-term monitoring of a host: every fixed interval
 * ({@code --every 6h}) or at set local times of day ({@code --at 02:00,14:00}, in the host's time
 * zone when the schedule was made, recorded with it). Kept in {@code schedules.json} so a host
 * restart keeps them. Each firing starts a fresh campaign instance through the host's queue; a
 * firing while the schedule's previous instance is still queued or running is skipped, and the
 * skip is recorded. Firings missed while the host was down are made up by one firing, not a burst.
 * Time comes from an injected {@link Clock}; {@link #fireDue} is called by the host's ticker.
 */
public final class CampaignSchedules {
    public static final String FILE = "schedules.json";
    static final String SCHEMA_VERSION = "1";
    /** Entries kept in each schedule's history, newest last. */
    static final int HISTORY = 50;
    private static final Pattern EVERY = Pattern.compile("(\\d+)\\s*(s|m|min|h|d)");

    /** Starts campaigns for the schedules, and says whether an instance is still queued or running. */
    public interface Starter {
        /** Starts a fresh instance of the campaign file in the queue; returns its id. */
        String start(Path campaignFile) throws IOException;

        /** True while the campaign is queued or running. */
        boolean active(String campaignId);
    }

    /**
     * One schedule.
     *
     * @param number             its number, for {@code unschedule}
     * @param campaignFile       the campaign file, absolute
     * @param everySeconds       the interval, or 0 with {@code at}
     * @param at                 local times of day (HH:mm), sorted, or empty with {@code everySeconds}
     * @param zone               the time zone of {@code at} (the host's when it was made)
     * @param createdEpochMillis when it was made
     * @param nextEpochMillis    its next firing
     * @param lastCampaignId     the campaign its latest firing started, or null
     * @param history            what each firing did, newest last (at most {@value #HISTORY})
     */
    public record Schedule(int number, String campaignFile, long everySeconds, List<String> at, String zone,
            long createdEpochMillis, long nextEpochMillis, String lastCampaignId, List<String> history) {
        public Schedule {
            at = at == null ? List.of() : List.copyOf(at);
            history = history == null ? List.of() : List.copyOf(history);
        }

        /** "every 6h" or "at 02:00, 14:00 (Europe/Berlin)". */
        public String when() {
            return everySeconds > 0 ? "every " + formatInterval(everySeconds) : "at " + String.join(", ", at) + " (" + zone + ")";
        }

        Schedule firing(long next, String campaignId, String event) {
            List<String> h = new ArrayList<>(history);
            h.add(event);
            while (h.size() > HISTORY) {
                h.remove(0);
            }
            return new Schedule(number, campaignFile, everySeconds, at, zone, createdEpochMillis, next,
                    campaignId == null ? lastCampaignId : campaignId, h);
        }
    }

    /** {@code schedules.json}. */
    public record ScheduleFile(String schemaVersion, List<Schedule> schedules) {
    }

    private final Path file;
    private final Clock clock;
    private final Starter starter;
    private final List<Schedule> schedules = new ArrayList<>();

    /** Reads the schedules kept in {@code file}, if it exists. */
    public CampaignSchedules(Path file, Clock clock, Starter starter) {
        this.file = file;
        this.clock = clock;
        this.starter = starter;
        if (Files.isRegularFile(file)) {
            try {
                ScheduleFile read = ResultsJson.read(file, ScheduleFile.class);
                if (read.schedules() != null) {
                    schedules.addAll(read.schedules());
                }
            } catch (ResultsFileException e) {
                throw new CampaignException("the campaign schedules in " + file + " cannot be read: " + e.getMessage()
                        + "; fix or remove the file", e);
            }
        }
    }

    public Path file() {
        return file;
    }

    /**
     * A new schedule: exactly one of {@code every} (e.g. {@code 6h}, {@code 30m}, {@code 1d}) and
     * {@code at} (e.g. {@code 02:00,14:00}, local time in {@code zone}).
     */
    public synchronized Schedule add(Path campaignFile, String every, String at, ZoneId zone) throws IOException {
        if ((every == null) == (at == null)) {
            throw new CampaignException("give either --every <interval> (e.g. 6h, 30m, 1d) or --at <HH:mm,...>"
                    + " (local times of day), not " + (every == null ? "neither" : "both"));
        }
        long everySeconds = every == null ? 0 : parseEvery(every);
        List<String> times = at == null ? List.of() : parseAt(at).stream().map(LocalTime::toString).toList();
        Instant now = clock.instant();
        int number = schedules.stream().mapToInt(Schedule::number).max().orElse(0) + 1;
        Schedule draft = new Schedule(number, campaignFile.toAbsolutePath().normalize().toString(), everySeconds, times,
                zone.getId(), now.toEpochMilli(), 0, null, List.of());
        Schedule schedule = new Schedule(number, draft.campaignFile(), everySeconds, times, zone.getId(),
                now.toEpochMilli(), nextAfter(draft, now).toEpochMilli(), null, List.of());
        schedules.add(schedule);
        save();
        return schedule;
    }

    /** Every schedule, by number. */
    public synchronized List<Schedule> list() {
        return List.copyOf(schedules);
    }

    /** Removes schedule {@code number}; the campaigns it started are left as they are. */
    public synchronized Schedule remove(int number) throws IOException {
        for (int i = 0; i < schedules.size(); i++) {
            if (schedules.get(i).number() == number) {
                Schedule removed = schedules.remove(i);
                save();
                return removed;
            }
        }
        throw new CampaignException("no campaign schedule " + number + "; "
                + (schedules.isEmpty() ? "there is none" : "there are: " + String.join(", ",
                        schedules.stream().map(s -> String.valueOf(s.number())).toList())));
    }

    /**
     * Fires every schedule whose time has come: starts a fresh instance, or skips when the previous
     * one is still queued or running, and records either; then sets its next firing after now.
     *
     * @return what happened, a line per firing
     */
    public synchronized List<String> fireDue() throws IOException {
        Instant now = clock.instant();
        List<String> events = new ArrayList<>();
        for (int i = 0; i < schedules.size(); i++) {
            Schedule s = schedules.get(i);
            if (now.toEpochMilli() < s.nextEpochMillis()) {
                continue;
            }
            String event;
            String started = null;
            if (s.lastCampaignId() != null && starter.active(s.lastCampaignId())) {
                event = Instant.ofEpochMilli(s.nextEpochMillis()) + " skipped: " + s.lastCampaignId() + " still queued or running";
            } else {
                try {
                    started = starter.start(Path.of(s.campaignFile()));
                    event = Instant.ofEpochMilli(s.nextEpochMillis()) + " started " + started;
                } catch (IOException | RuntimeException e) {
                    event = Instant.ofEpochMilli(s.nextEpochMillis()) + " failed to start: "
                            + (e.getMessage() == null ? e.toString() : e.getMessage());
                }
            }
            schedules.set(i, s.firing(nextAfter(s, now).toEpochMilli(), started, event));
            events.add("schedule " + s.number() + ": " + event);
        }
        if (!events.isEmpty()) {
            save();
        }
        return events;
    }

    /**
     * The first firing strictly after {@code after}: for an interval, the creation time plus a
     * whole number of intervals; for times of day, the next of them in the schedule's zone (a time
     * that a daylight-saving change skips fires at the shifted instant).
     */
    static Instant nextAfter(Schedule s, Instant after) {
        if (s.everySeconds() > 0) {
            long created = s.createdEpochMillis();
            long interval = s.everySeconds() * 1000;
            long elapsed = after.toEpochMilli() - created;
            long n = elapsed < 0 ? 1 : elapsed / interval + 1;
            return Instant.ofEpochMilli(created + n * interval);
        }
        ZoneId zone = ZoneId.of(s.zone());
        LocalDate day = after.atZone(zone).toLocalDate();
        for (int d = 0; d < 3; d++) {
            for (String time : s.at()) {
                ZonedDateTime candidate = ZonedDateTime.of(day.plusDays(d), LocalTime.parse(time), zone);
                if (candidate.toInstant().isAfter(after)) {
                    return candidate.toInstant();
                }
            }
        }
        throw new IllegalStateException("a schedule with times of day fires within two days: " + s.at());
    }

    /** {@code 90s}, {@code 30m}, {@code 6h}, {@code 1d} as seconds; at least a minute. */
    static long parseEvery(String text) {
        Matcher m = EVERY.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new CampaignException("--every '" + text + "' is not an interval; write a number and a unit:"
                    + " s, m, h or d (e.g. 6h, 30m, 1d)");
        }
        long n = Long.parseLong(m.group(1));
        long seconds = switch (m.group(2)) {
        case "s" -> n;
        case "m", "min" -> n * 60;
        case "h" -> n * 3600;
        default -> n * 86_400;
        };
        if (seconds < 60) {
            throw new CampaignException("--every '" + text + "' is shorter than a minute; a campaign schedule fires at most once a minute");
        }
        return seconds;
    }

    /** {@code 02:00,14:00} as sorted local times. */
    static List<LocalTime> parseAt(String text) {
        TreeSet<LocalTime> times = new TreeSet<>();
        for (String part : text.split(",")) {
            try {
                times.add(LocalTime.parse(part.strip()));
            } catch (DateTimeParseException e) {
                throw new CampaignException("--at: '" + part.strip() + "' is not a time of day HH:mm (e.g. --at 02:00,14:00)");
            }
        }
        return List.copyOf(times);
    }

    /** {@code 6h}, {@code 90m}, {@code 1d}: the largest whole unit. */
    static String formatInterval(long seconds) {
        if (seconds % 86_400 == 0) {
            return seconds / 86_400 + "d";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }

    /** Time until the schedule fires next, from now; negative when due. */
    public Duration untilNext(Schedule s) {
        return Duration.ofMillis(s.nextEpochMillis() - clock.millis());
    }

    private void save() throws IOException {
        Files.createDirectories(file.getParent());
        ResultsJson.writeAtomically(file, new ScheduleFile(SCHEMA_VERSION, List.copyOf(schedules)));
    }
}
