package lem.runtime.config;

import java.util.Collection;
import java.util.Locale;

/** "did you mean" for misspelt keys and values, by edit distance. */
public final class SpellingSuggestion {

    private SpellingSuggestion() {
    }

    /**
     * The candidate closest to {@code typed}, or null when none is close enough to be a likely
     * typo: at most a third of the candidate's length (at least 2) in Levenshtein distance, after
     * ignoring case, {@code _} and {@code -} (so {@code batchSize} finds {@code batch_size}).
     */
    static String closest(String typed, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String normalisedTyped = normalise(typed);
        for (String candidate : candidates) {
            String normalisedCandidate = normalise(candidate);
            int distance = normalisedTyped.equals(normalisedCandidate) ? 0
                    : levenshtein(typed.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            int allowed = Math.max(2, candidate.length() / 3);
            if (distance <= allowed && distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** {@code "; did you mean 'x'?"} or an empty string. */
    public static String didYouMean(String typed, Collection<String> candidates) {
        String suggestion = closest(typed, candidates);
        return suggestion == null ? "" : "; did you mean '" + suggestion + "'?";
    }

    /** {@code "; did you mean 'x'?"}, or {@code "."} to end the sentence when nothing is close. */
    static String didYouMeanOrStop(String typed, Collection<String> candidates) {
        String suggestion = didYouMean(typed, candidates);
        return suggestion.isEmpty() ? "." : suggestion;
    }

    /** Same apart from case, {@code _}/{@code -}, or one edit: strict, for suggestions across sections. */
    static boolean nearlySame(String typed, String candidate) {
        return normalise(typed).equals(normalise(candidate))
                || levenshtein(typed.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT)) <= 1;
    }

    private static String normalise(String text) {
        return text.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
    }

    /** Edit distance: insertions, deletions and substitutions. */
    public static int levenshtein(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
