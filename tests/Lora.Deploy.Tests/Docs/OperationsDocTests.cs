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

    [Fact]
    public void Every_metric_named_in_the_doc_is_in_the_metrics_contract()
    {
        var names = System.Text.RegularExpressions.Regex.Matches(_doc, @"\blora_[a-z_]+\b").Select(m => m.Value).Distinct();
        Assert.All(names, n => Assert.True(MetricsContract.IsDocumented(n), n));
    }
}
