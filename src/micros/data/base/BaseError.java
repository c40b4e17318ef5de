package micros.data.base;

/** A request Deta Base refuses: the HTTP status and the message that goes into {"errors": [...]}. */
final class BaseError extends RuntimeException {
    final int status;

    BaseError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static BaseError bad(String message) {
        return new BaseError(400, message);
    }
}
