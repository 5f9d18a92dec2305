using Lora.Training.Examples;

namespace Lora.Training.Tests.Pretraining;

[Collection("builtin-model")]
public sealed class ExampleTasksTests
{
    [Fact]
    public void Generators_are_deterministic_per_seed_and_differ_across_seeds()
    {
        Assert.True(ExampleTasks.All.Count >= 4);
        foreach (var task in ExampleTasks.All)
        {
            Assert.Equal(task.Generate(3, 50), task.Generate(3, 50));
            Assert.NotEqual(task.Generate(3, 50), task.Generate(4, 50));
            Assert.Equal(50, task.Generate(3, 50).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
    }

    [Fact]
    public void Every_generated_completion_is_an_exact_match_and_fits_32_byte_tokens()
    {
        foreach (var task in ExampleTasks.All)
        {
            foreach (var line in task.Generate(0, 200).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var (prompt, completion) = ExampleTasks.ParseLine(line);
                Assert.True(ExampleTasks.ExactMatch(task.Name, prompt, completion), line);
                Assert.True(prompt.Length + completion.Length + 2 <= 32, line);   // + <s> and </s>
            }
        }
    }

    [Theory]
    [InlineData("reverse", "reverse: abcd =", " dcba", true)]
    [InlineData("reverse", "reverse: abcd =", " dcb", false)]
    [InlineData("reverse", "reverse: abcd =", " dcbaa", false)]
    [InlineData("sort", "sort: dbca =", "abcd\nmore", true)]
    [InlineData("upper", "upper: hello =", " HELLO ", true)]
    [InlineData("upper", "upper: hello =", " Hello", false)]
    [InlineData("add", "add: 23+45 =", " 68", true)]
    [InlineData("add", "add: 99+99 =", " 198", true)]
    [InlineData("add", "add: 23+45 =", " 69", false)]
    [InlineData("vowels", "vowels: banana =", " 3", true)]
    [InlineData("vowels", "vowels: banana =", "", false)]
    public void ExactMatch_scores_answers_computed_from_the_prompt(string task, string prompt, string generated, bool expected) =>
        Assert.Equal(expected, ExampleTasks.ExactMatch(task, prompt, generated));

    [Fact]
    public void ExactMatch_rejects_unknown_tasks_and_foreign_prompts()
    {
        Assert.Throws<ArgumentException>(() => ExampleTasks.ExactMatch("nope", "nope: a =", "a"));
        Assert.Throws<ArgumentException>(() => ExampleTasks.ExactMatch("reverse", "sort: abc =", "cba"));
    }

    [Fact]
    public void Generated_prompts_are_distinct_so_no_eval_record_repeats_a_training_one()
    {
        foreach (var task in ExampleTasks.All)
        {
            var prompts = task.Generate(0, 1000).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => ExampleTasks.ParseLine(l).Prompt).ToList();
            Assert.Equal(1000, prompts.Count);
            Assert.Equal(prompts.Count, prompts.Distinct().Count());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ExampleTasks.Get("add").Generate(0, 8101));   // 90 × 90 inputs exist
    }

    [Fact]
    public void Committed_example_files_are_what_the_generators_write()
    {
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "LoraCluster.sln"))) repo = Path.GetDirectoryName(repo)!;
        var temp = Directory.CreateTempSubdirectory("examples-");
        try
        {
            ExampleTasks.WriteAll(temp.FullName, 400, 0);
            foreach (var task in ExampleTasks.All)
                Assert.Equal(File.ReadAllText(Path.Combine(temp.FullName, task.Name + ".jsonl")),
                    File.ReadAllText(Path.Combine(repo, "examples", task.Name + ".jsonl")));
        }
        finally
        {
            temp.Delete(true);
        }
    }
}
