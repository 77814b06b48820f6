namespace Backup.Core.Restore;

/// <summary>
/// Where an <see cref="IRestoreSource"/> puts file content during a restore (<see cref="IRestoreSource.WriteContentsAsync"/>):
/// pieces of the files of a list, by their index in it, in any order and from several threads at once. The restore
/// implements it; a source only reads.
/// </summary>
public interface IContentSink
{
    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/> of file <paramref name="file"/>, creating it on its first
    /// piece. Pieces of one file may come from several threads at once, but never after <see cref="Complete"/> for it.
    /// Ignored for a file that has <see cref="Fail"/>ed. Errors of the target are thrown.
    /// </summary>
    void Write(int file, long offset, ReadOnlySpan<byte> data);

    /// <summary>
    /// Every piece of <paramref name="file"/> has been written, and it is <paramref name="size"/> bytes long: the file
    /// gets its length, owner, attributes, mode and time, and is closed. Ignored for a file that has failed.
    /// </summary>
    void Complete(int file, long size);

    /// <summary>
    /// The source cannot give the content of <paramref name="file"/> (<paramref name="error"/>: damaged or missing data):
    /// what was written of it is removed, the restore goes on and reports it. Only the first failure of a file counts.
    /// </summary>
    void Fail(int file, Exception error);
}
