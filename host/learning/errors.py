"""Exception for bad data or files handed to the learning code by a user."""


class LearningInputError(ValueError):
    """Invalid user-supplied data, file or checkpoint; the message is meant for the user."""
