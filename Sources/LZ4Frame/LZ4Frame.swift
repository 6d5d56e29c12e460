// LZ4 frame reading; see LZ4FrameSource.swift.
