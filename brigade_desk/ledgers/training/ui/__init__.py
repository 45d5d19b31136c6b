"""培训台账 pages: sessions, the attendance editor, hours per person and for the brigade, exams."""
