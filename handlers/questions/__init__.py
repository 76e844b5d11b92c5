"""Free-text questions and stories: answers, kept questions, masking."""
