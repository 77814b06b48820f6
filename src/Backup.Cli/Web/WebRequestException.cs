namespace Backup.Cli.Web;

/// <summary>A request the page refuses: answered with <see cref="Status"/> and <c>{"error": message}</c>.</summary>
internal sealed class WebRequestException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status: 400 for a malformed request, 404 for what does not exist, 409 for a conflict.</summary>
    public int Status { get; } = status;
}
