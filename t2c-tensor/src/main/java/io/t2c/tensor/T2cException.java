package io.t2c.tensor;

/**
 * The one exception type for errors a user can cause: a bad file, an unsupported op, a shape mismatch, a wrong flag.
 * Its message names what is wrong (file, node, flag, shapes) and what to do; the CLI prints it as one line and exits
 * non-zero. Programming errors stay ordinary exceptions.
 */
public class T2cException extends RuntimeException {
    public T2cException(String message) {
        super(message);
    }

    public T2cException(String message, Throwable cause) {
        super(message, cause);
    }
}
