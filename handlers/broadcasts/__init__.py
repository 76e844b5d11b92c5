"""Broadcasts (/thongbao): compose, approve, send, and the sending jobs."""
