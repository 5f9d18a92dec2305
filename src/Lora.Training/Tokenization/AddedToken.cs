namespace Lora.Training.Tokenization;

/// <summary>An entry of tokenizer.json's "added_tokens": matched verbatim in text before BPE runs.</summary>
public sealed record AddedToken(int Id, string Content, bool Special);
