namespace Backup.Core.Sources;

/// <summary>A part of a tree that could not be read: the escaped path and what went wrong.</summary>
public sealed record TreeProblem(string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message}";
}
