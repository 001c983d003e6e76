package io.t2c.autograd;

/**
 * Learning rate as a function of the optimizer step (0-based, one step per mini-batch). Schedules are pure functions,
 * so a run restarted at step s continues exactly.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    double at(int step);

    static LearningRateSchedule constant(double lr) {
        return step -> lr;
    }

    /** lr·gamma^⌊step / stepSize⌋ (torch StepLR, stepping per batch). */
    static LearningRateSchedule step(double lr, int stepSize, double gamma) {
        return step -> lr * Math.pow(gamma, Math.floorDiv(step, stepSize));
    }

    /** Cosine annealing from lr to minLr over totalSteps (torch CosineAnnealingLR with T_max = totalSteps). */
    static LearningRateSchedule cosine(double lr, double minLr, int totalSteps) {
        return step -> minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(step, totalSteps) / totalSteps));
    }

    /** Linear warm-up from lr/warmupSteps to lr over warmupSteps, then cosine to minLr at totalSteps. */
    static LearningRateSchedule cosineWithWarmup(double lr, double minLr, int warmupSteps, int totalSteps) {
        LearningRateSchedule cos = cosine(lr, minLr, Math.max(1, totalSteps - warmupSteps));
        return step -> step < warmupSteps ? lr * (step + 1) / warmupSteps : cos.at(step - warmupSteps);
    }
}
