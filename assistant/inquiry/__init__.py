"""The inquiry-reply work (照会回答) below the task: splitting a pasted 照会文 into its fields and its questions
(`parse`), finding similar past inquiries and the section that should answer (`triage`), and assembling the
official reply (`compose`). `assistant.tasks.reply` runs them as the `reply` task."""
