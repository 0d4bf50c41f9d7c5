package tapeline.engine.optim.schedule;

/** Argument checks shared by the schedules. */
final class Schedules {
    private Schedules() {
    }

    /** Fails with a message naming the argument and its value when {@code ok} is false (or it is NaN/infinite). */
    static void check(String name, double value, boolean ok, String range) {
        if (!ok || !Double.isFinite(value)) {
            throw new IllegalArgumentException("schedule." + name + " must be " + range + ", got " + value);
        }
    }
}
