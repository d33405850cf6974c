/*
 * The box every pane is drawn in: a border, and a title line naming the pane and its number key.
 * Focus is shown without relying on colour: the focused pane has a double border and its title
 * starts with '>' and is drawn in inverse video. Content is clipped to the box (overflow hidden),
 * so a view that draws a line too many cannot push the layout around.
 */
import type { ReactElement, ReactNode } from 'react';
import { Box, Text } from 'ink';
import { clip } from './format.js';

export interface PaneFrameProps {
  readonly title: string;
  readonly index: number;
  readonly focused: boolean;
  readonly width: number;
  readonly height: number;
  /** Extra words after the title, e.g. the fault filter. */
  readonly detail?: string;
  readonly children?: ReactNode;
}

export function PaneFrame({
  title,
  index,
  focused,
  width,
  height,
  detail,
  children,
}: PaneFrameProps): ReactElement {
  const label = clip(
    `${focused ? '>' : ' '}${index} ${title}${detail ? '  ' + detail : ''}`,
    Math.max(1, width - 2),
  );
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      borderStyle={focused ? 'double' : 'single'}
      borderColor={focused ? 'cyan' : undefined}
      overflow="hidden"
    >
      <Text inverse={focused} bold>
        {label}
      </Text>
      <Box flexDirection="column" overflow="hidden" height={Math.max(1, height - 3)}>
        {children}
      </Box>
    </Box>
  );
}
