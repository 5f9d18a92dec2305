using Lora.Deploy.Tests.Monitoring;
using Lora.Deploy.Tests.Support;

namespace Lora.Deploy.Tests.Docs;

public sealed class OperationsDocTests
{
    private readonly string _doc = RepoPaths.Read("docs", "operations.md").Replace("\r\n", "\n");

    [Fact]
    public void Options_table_is_exactly_the_one_generated_from_the_option_catalog()
    {
        // On failure, paste the "Expected" text between the markers in docs/operations.md.
        const string Begin = "<!-- options-table:begin -->\n";
        const string End = "\n<!-- options-table:end -->";
        var start = _doc.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length;
        var table = _doc[start.._doc.IndexOf(End, StringComparison.Ordinal)];
        Assert.Equal(OptionsTable.Render(), table);
    }

    /// <summary>Debian's docker-compose 1.29 (v1) fails on Docker Engine 25+ when it recreates a container
    /// (KeyError 'ContainerConfig'): the stack is run with the Compose v2 plugin, `docker compose`; v1 only validates.</summary>
    [Theory]
    [InlineData("docs/operations.md")]
    [InlineData("README.md")]
    [InlineData("docker-compose.yml")]
    [InlineData("Dockerfile.cli")]
    public void Running_the_stack_is_written_with_compose_v2(string file)
    {
        var v1Runs = System.Text.RegularExpressions.Regex.Matches(RepoPaths.Read(file.Split('/')),
                @"docker-compose(\s+-{1,2}[\w-]+(=\S+|\s+[^\s-]\S*)?)*\s+(up|run|down|start|stop|restart|build|pull|create|exec|rm)\b")
            .Select(m => m.Value).ToList();
        Assert.True(v1Runs.Count == 0, $"{file} runs the stack with docker-compose v1: {string.Join("; ", v1Runs)}");
    }

    [Fact]
    public void Every_metric_named_in_the_doc_is_in_the_metrics_contract()
    {
        var names = System.Text.RegularExpressions.Regex.Matches(_doc, @"\blora_[a-z_]+\b").Select(m => m.Value).Distinct();
        Assert.All(names, n => Assert.True(MetricsContract.IsDocumented(n), n));
    }
}
