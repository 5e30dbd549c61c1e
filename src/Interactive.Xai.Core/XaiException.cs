namespace Interactive.Xai;

/// <summary>
/// A problem with what the user supplied (a file, an option, a shape) rather than a bug in the library.
/// The message is one line that names the problem and, where it applies, the file, row and column.
/// Hosts (the command line, the notebook) show the message alone, without a stack trace.
/// </summary>
public class XaiException : Exception
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public XaiException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the exception that caused it.</summary>
    public XaiException(string message, Exception innerException) : base(message, innerException) { }
}
