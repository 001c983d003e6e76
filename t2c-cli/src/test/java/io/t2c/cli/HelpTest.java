package io.t2c.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every subcommand's --help shows an example, and every example parses against the real options. */
class HelpTest {
    @Test
    void everyCommandsUsageHasAnExampleThatParses() {
        CommandLine main = Main.commandLine();
        List<String> commands = main.getSubcommands().keySet().stream().filter(name -> !name.equals("help")).toList();
        assertTrue(commands.containsAll(List.of("inspect", "run", "eval", "train", "ptq", "convert", "extract",
                "export", "quickstart", "sweep", "report")), commands.toString());
        for (String name : commands) {
            String usage = main.getSubcommands().get(name).getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertTrue(usage.contains("Example"), name + " --help has no Example section");
            assertTrue(usage.contains("./t2c "), name + " --help has no ./t2c command line");
            assertTrue(usage.lines().allMatch(l -> l.length() <= Main.USAGE_WIDTH), name + ": a line is wider than the help");
            List<String> examples = usage.lines().map(String::strip).filter(l -> l.startsWith("./t2c ")).toList();
            assertFalse(examples.isEmpty(), name + ": no example line starts with ./t2c");
            for (String example : examples) {
                String[] args = example.substring("./t2c ".length()).split("\\s+");
                assertTrue(args[0].equals(name), name + ": example runs another command: " + example);
                // A fresh parser per example: picocli keeps parsed values in the command objects.
                assertDoesNotThrow(() -> Main.commandLine().parseArgs(args), name + ": " + example);
            }
        }
    }
}
