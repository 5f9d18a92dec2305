using Lora.Training.Data;

namespace Lora.Training.Tests.Data;

public sealed class JsonlDatasetTests
{
    [Fact]
    public void Parses_both_record_forms_skipping_blank_lines_and_keeping_line_numbers()
    {
        var ds = JsonlDataset.Parse("""
            {"text": "hello", "meta": 1}

            {"prompt": "Q?", "completion": "A."}
            """.Replace("\n", "\r\n"), "mem");
        Assert.Equal(2, ds.Records.Count);
        Assert.Equal((1, "hello"), (ds.Records[0].Line, ds.Records[0].Text));
        Assert.Equal((3, "Q?", "A."), (ds.Records[1].Line, ds.Records[1].Prompt, ds.Records[1].Completion));
        Assert.False(ds.Records[1].IsText);
    }

    [Fact]
    public void Pre_tokenized_records_keep_their_ids()
    {
        var ds = JsonlDataset.Parse("{\"input_ids\": [5, 0, 17], \"attention_mask\": [1, 1, 1]}", "mem");
        Assert.True(ds.Records[0].IsTokenIds);
        Assert.Equal([5, 0, 17], ds.Records[0].TokenIds!);
    }

    [Theory]
    [InlineData("{\"text\": ", "invalid JSON")]
    [InlineData("[1, 2]", "expected a JSON object, got an array")]
    [InlineData("\"just a string\"", "expected a JSON object, got a string")]
    [InlineData("{}", "expected a \"text\" field")]
    [InlineData("{\"txt\": \"typo\"}", "expected a \"text\" field")]
    [InlineData("{\"text\": \"\"}", "\"text\" is empty")]
    [InlineData("{\"text\": 42}", "\"text\" must be a string, got a number")]
    [InlineData("{\"text\": null}", "\"text\" must be a string, got null")]
    [InlineData("{\"prompt\": \"Q\"}", "missing \"completion\" field")]
    [InlineData("{\"completion\": \"A\"}", "missing \"prompt\" field")]
    [InlineData("{\"prompt\": \"Q\", \"completion\": \"\"}", "\"completion\" is empty")]
    [InlineData("{\"prompt\": [\"Q\"], \"completion\": \"A\"}", "\"prompt\" must be a string, got an array")]
    [InlineData("{\"text\": \"t\", \"prompt\": \"Q\", \"completion\": \"A\"}", "has both \"text\" and \"prompt\"")]
    [InlineData("{\"input_ids\": \"1 2 3\"}", "\"input_ids\" must be an array of integers, got a string")]
    [InlineData("{\"input_ids\": [1, 2.5, 3]}", "\"input_ids\"[1] is not a 32-bit integer: 2.5")]
    [InlineData("{\"input_ids\": [1, 99999999999]}", "\"input_ids\"[1] is not a 32-bit integer: 99999999999")]
    [InlineData("{\"input_ids\": [7]}", "\"input_ids\" needs at least 2 tokens, got 1")]
    [InlineData("{\"input_ids\": [1, 2], \"text\": \"t\"}", "has both \"input_ids\" and text fields")]
    [InlineData("{\"text\": \"\\ud800 hi\"}", "\"text\" holds an unpaired UTF-16 surrogate escape")]
    public void Bad_line_reports_source_line_and_reason(string badLine, string reason)
    {
        var text = "{\"text\": \"fine\"}\n\n" + badLine + "\n{\"text\": \"also fine\"}\n";
        var e = Assert.Throws<DatasetFormatException>(() => JsonlDataset.Parse(text, "train.jsonl"));
        Assert.StartsWith("train.jsonl:3: ", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.Equal(3, e.Line);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void Bad_line_in_a_file_reports_the_file_path_and_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lora-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, "\uFEFF{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": 1}\n");
        try
        {
            var e = Assert.Throws<DatasetFormatException>(() => JsonlDataset.Load(path));
            Assert.StartsWith($"{path}:3: ", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Loads_a_file_with_a_byte_order_mark()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lora-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, "\uFEFF{\"text\": \"a\"}\n");
        try
        {
            Assert.Equal("a", JsonlDataset.Load(path).Records.Single().Text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_file_is_a_dataset_error_naming_the_path()
    {
        var e = Assert.Throws<DatasetFormatException>(() => JsonlDataset.Load("/nonexistent/data.jsonl"));
        Assert.StartsWith("/nonexistent/data.jsonl: ", e.Message);
    }

    [Fact]
    public void Line_longer_than_the_limit_is_rejected()
    {
        var options = new JsonlOptions { MaxLineBytes = 32 };
        var longLine = "{\"text\": \"" + new string('x', 100) + "\"}";
        var e = Assert.Throws<DatasetFormatException>(() =>
            JsonlDataset.Parse("{\"text\": \"ok\"}\n" + longLine + "\n", "d", options));
        Assert.StartsWith("d:2: line longer than the maximum of 32 bytes", e.Message);
    }

    [Fact]
    public void Line_limit_counts_utf8_bytes_not_chars()
    {
        var options = new JsonlOptions { MaxLineBytes = 20 };
        // 17 chars but 23 UTF-8 bytes: each "é" is two bytes.
        var e = Assert.Throws<DatasetFormatException>(() => JsonlDataset.Parse("{\"text\":\"éééééé\"}", "d", options));
        Assert.StartsWith("d:1: line longer", e.Message);
    }

    [Fact]
    public void More_records_than_the_limit_is_an_error_not_a_truncation()
    {
        var options = new JsonlOptions { MaxRecords = 2 };
        var e = Assert.Throws<DatasetFormatException>(() =>
            JsonlDataset.Parse("{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\":\"c\"}\n", "d", options));
        Assert.StartsWith("d:3: more than the maximum of 2 records", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  \n\t\n")]
    public void Empty_dataset_is_a_clear_error(string text)
    {
        var e = Assert.Throws<DatasetFormatException>(() => JsonlDataset.Parse(text, "empty.jsonl"));
        Assert.Equal("empty.jsonl: dataset is empty (no non-blank lines)", e.Message);
        Assert.Null(e.Line);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70_000)]   // the bad byte in a later read block than the line it is on starts in
    public void A_file_that_is_not_utf8_is_refused_naming_the_line_instead_of_read_as_replacement_characters(int padding)
    {
        var path = Path.Combine(Path.GetTempPath(), $"latin1-{Guid.NewGuid():N}.jsonl");
        // Line 2 holds a valid "é" (two bytes); line 3 a Latin-1 one. The reader decodes all three lines at once.
        File.WriteAllBytes(path, [.. "{\"text\": \"ok\"}\n{\"text\": \"caf\u00e9\"}\r\n{\"text\": \""u8,
            .. Enumerable.Repeat((byte)'x', padding), .. "caf"u8, 0xE9, .. "\"}\n{\"text\": \"ok\"}\n"u8]);
        try
        {
            var e = Assert.Throws<DatasetFormatException>(() => JsonlDataset.Load(path));
            Assert.Equal($"{path}:3: not valid UTF-8: save the file as UTF-8", e.Message);
            Assert.Equal(3, e.Line);
        }
        finally { File.Delete(path); }
    }
}
