//! Load-time checks of the models and migrations plugins declare.
