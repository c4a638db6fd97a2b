package lem.backend.openai.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class SseParserTest {
    record Event(String data, long readNanos) {
    }

    private final List<Event> events = new ArrayList<>();
    private final SseParser parser = new SseParser((data, nanos) -> events.add(new Event(data, nanos)));

    private void feed(String text, long nanos) {
        parser.feed(text.getBytes(StandardCharsets.UTF_8), nanos);
    }

    @Test
    void severalEventsInOneReadShareItsInstant() {
        feed("data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n", 100);
        assertEquals(List.of(new Event("{\"a\":1}", 100), new Event("{\"a\":2}", 100), new Event("[DONE]", 100)), events);
    }

    @Test
    void anEventSplitAcrossReadsGetsTheInstantOfItsLastPart() {
        feed("da", 1);
        feed("ta: {\"text\":\"hel", 2);
        assertTrue(events.isEmpty());
        assertTrue(parser.pending());
        feed("lo\"}\n", 3);
        assertTrue(events.isEmpty(), "no event before the blank line");
        feed("\n", 4);
        assertEquals(List.of(new Event("{\"text\":\"hello\"}", 4)), events);
        assertFalse(parser.pending());
    }

    @Test
    void crlfLineEndsSplitBetweenTheCrAndTheLfCountOnce() {
        feed("data: one\r", 1);
        feed("\n\r", 2);
        feed("\ndata: two\r\n\r\n", 3);
        assertEquals(List.of(new Event("one", 2), new Event("two", 3)), events);
    }

    @Test
    void loneCrEndsALineToo() {
        feed("data: x\r\rdata: y\r\r", 5);
        assertEquals(List.of(new Event("x", 5), new Event("y", 5)), events);
    }

    @Test
    void commentsAndKeepAlivesAndOtherFieldsAreSkipped() {
        feed(": ping\n\n:keep-alive\n\nevent: message\nid: 7\nretry: 10\ndata: {\"x\":1}\n\n", 9);
        assertEquals(List.of(new Event("{\"x\":1}", 9)), events);
        assertEquals(2, parser.comments());
    }

    @Test
    void dataLinesOfOneEventAreJoinedWithLf() {
        feed("data: first\ndata:second\ndata\n\n", 1);
        assertEquals(List.of(new Event("first\nsecond\n", 1)), events);
    }

    @Test
    void byteByByteFeedingGivesTheSameEvents() {
        String stream = ": ping\r\n\r\ndata: {\"t\":\"é\"}\r\n\r\ndata: [DONE]\r\n\r\n";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            parser.feed(new byte[] { bytes[i] }, i);
        }
        assertEquals(2, events.size());
        assertEquals("{\"t\":\"é\"}", events.get(0).data(), "a multi-byte character split across reads survives");
        assertEquals("[DONE]", events.get(1).data());
    }
}
