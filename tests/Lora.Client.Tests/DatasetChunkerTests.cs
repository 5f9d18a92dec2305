using System.Text;
using Lora.Client;

namespace Lora.Client.Tests;

public sealed class DatasetChunkerTests
{
    [Fact]
    public void Empty_dataset_is_one_empty_chunk() => Assert.Equal([""], DatasetChunker.Split(""));

    [Fact]
    public void Small_dataset_is_one_chunk()
    {
        const string text = "{\"text\":\"a\"}\n{\"text\":\"b\"}\n";
        Assert.Equal([text], DatasetChunker.Split(text));
    }

    [Fact]
    public void Chunks_respect_the_byte_limit_and_concatenate_to_the_original()
    {
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => $"{{\"text\":\"record {i} héllo ✓ 😀\"}}\n"));
        var chunks = DatasetChunker.Split(text, 4096);
        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.True(Encoding.UTF8.GetByteCount(c) <= 4096));
        Assert.Equal(text, string.Concat(chunks));
    }

    [Fact]
    public void Chunks_end_at_record_boundaries_when_a_newline_fits()
    {
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => $"{{\"text\":\"{i}\"}}\n"));
        var chunks = DatasetChunker.Split(text, 100);
        Assert.All(chunks, c => Assert.EndsWith("\n", c));
    }

    [Fact]
    public void A_line_longer_than_the_limit_is_split_without_breaking_surrogate_pairs()
    {
        var text = string.Concat(Enumerable.Repeat("😀", 1000)); // 4 UTF-8 bytes per code point, no newline
        var chunks = DatasetChunker.Split(text, 10);
        Assert.All(chunks, c =>
        {
            Assert.True(Encoding.UTF8.GetByteCount(c) <= 10);
            Assert.False(char.IsHighSurrogate(c[^1]));
        });
        Assert.Equal(text, string.Concat(chunks));
    }

    [Fact]
    public void Default_limit_is_one_mebibyte()
    {
        var text = new string('x', 3 * 1024 * 1024 + 5);
        var chunks = DatasetChunker.Split(text);
        Assert.Equal(4, chunks.Count);
        Assert.Equal(1024 * 1024, chunks[0].Length);
    }
}
