/**
 * JMH benchmarks of the t2c kernels, one class per kernel family ({@code GemmF32Bench}, {@code ConvF32Bench},
 * {@code GemmS8Bench}). Build with {@code ./mvnw -pl t2c-tensor,t2c-bench -am package -DskipTests} and run
 * {@code java -jar t2c-bench/target/benchmarks.jar <name regex>}; each reports the rate in GFLOP/s (or GOP/s) as the
 * secondary metric {@code gflops}. End-to-end comparisons with ONNX Runtime belong here too.
 */
package io.t2c.bench;
