namespace Backup.Core.Sources;

/// <summary>A part of a tree that could not be read: the escaped path and what went wrong.</summary>
public sealed record TreeProblem(string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message}";

    /// <summary>The reason an I/O exception gives, without the trailing ": /path" (the problem carries the path already).</summary>
    public static string ReasonOf(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var message = exception.Message;
        var cut = message.IndexOf(": /", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
