package lem.api.flops;

/**
 * Token counts of one request.
 *
 * @param promptTokens input tokens
 * @param outputTokens generated tokens
 */
public record RequestShape(int promptTokens, int outputTokens) {
    public RequestShape {
        if (promptTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("negative token count");
        }
    }
}
